#!/bin/bash
# AUTHORIZED_KEY: the public key sshd accepts for user git; TOKEN: the https
# password of user x-access-token; HOSTNAMES: names for the TLS certificate.
set -eu
mkdir -p /etc/gitserver /run/sshd /srv/git
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=${HOSTNAMES%% *}" \
  -addext "subjectAltName=$(printf 'DNS:%s,' $HOSTNAMES | sed 's/,$//')" \
  -addext "basicConstraints=critical,CA:TRUE" \
  -keyout /etc/gitserver/key.pem -out /etc/gitserver/cert.pem 2>/dev/null
htpasswd -bc /etc/gitserver/htpasswd x-access-token "$TOKEN" 2>/dev/null
install -d -o git -g git -m 700 /home/git/.ssh
echo "$AUTHORIZED_KEY" > /home/git/.ssh/authorized_keys
chown git:git /home/git/.ssh/authorized_keys && chmod 600 /home/git/.ssh/authorized_keys
ssh-keygen -A >/dev/null

work=$(mktemp -d)
git -C "$work" init -q -b main
echo "hello from the test git server" > "$work/README"
mkdir "$work/.mai"
printf '#!/bin/bash\necho "project init ran in $PWD" > "$HOME/project-init-ran"\n' > "$work/.mai/init.sh"
git -C "$work" add -A
git -C "$work" -c user.name=t -c user.email=t@t commit -qm init
for repo in repo other; do
  git clone -q --bare "$work" "/srv/git/$repo.git"
done
chown -R git:git /srv/git && chmod -R a+rX /srv/git

/usr/sbin/sshd -e
echo gitserver-ready
exec apachectl -D FOREGROUND
