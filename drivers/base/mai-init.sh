#!/bin/bash
# Standardized session init (the driver's pre-command, run by /entrypoint.sh):
# when MAI_PROJECT_URL is set, configure git credentials, clone into /app and
# run the project's own /app/.mai/init.sh. Output goes to docker logs and to
# ~/.mai/init.log. A failure is reported and the session still comes up.
#
# Secrets never travel through the environment (they would show in
# `docker inspect`): the host places them as files before the container starts.
set -u

SECRETS_DIR=/run/mai/secrets
SSH_KEY_FILE="$SECRETS_DIR/git-ssh-key"
TOKEN_FILE="$SECRETS_DIR/git-token"
APP_DIR=/app

say() { echo "mai-init: $*"; }

if [ -n "${MAI_GIT_SSH_KEY:-}${MAI_GIT_TOKEN:-}" ]; then
  say "ignoring MAI_GIT_SSH_KEY/MAI_GIT_TOKEN from the environment; secrets must be files in $SECRETS_DIR"
fi
unset MAI_GIT_SSH_KEY MAI_GIT_TOKEN

[ -n "${MAI_PROJECT_URL:-}" ] || exit 0
url="$MAI_PROJECT_URL"
say "initializing project: $url"

if [ -d "$APP_DIR/.git" ]; then
  # A restarted session (or a persistent /app volume) keeps its work tree.
  say "$APP_DIR already holds a clone; not cloning again"
  exit 0
fi

# Split the URL into scheme, host and port. Forms: scheme://[user@]host[:port]/path,
# scp-like [user@]host:path (ssh), a local path, or bare host/path (https).
scheme='' host='' port=''
case "$url" in
  *://*)
    scheme="${url%%://*}"
    authority="${url#*://}"; authority="${authority%%/*}"; authority="${authority##*@}"
    case "$authority" in
      *:*) host="${authority%%:*}"; port="${authority##*:}" ;;
      *) host="$authority" ;;
    esac
    ;;
  /* | ./* | ../*) scheme=file ;;
  *)
    first="${url%%/*}"
    if [[ "$first" == *:* ]]; then
      scheme=ssh; host="${url%%:*}"; host="${host##*@}"
    else
      scheme=https; host="$first"; url="https://$url"
    fi
    ;;
esac
hostport="$host${port:+:$port}"

setup_ssh() {
  mkdir -p "$HOME/.ssh" && chmod 700 "$HOME/.ssh"
  local known="${MAI_SSH_KNOWN_HOSTS:-}"
  if [ -n "$known" ]; then
    [ -r "$known" ] || { say "MAI_SSH_KNOWN_HOSTS=$known is not readable"; return 1; }
  else
    # Trust on first use, as a user running `git clone` would; the host key
    # is then pinned for the life of the session.
    known="$HOME/.ssh/known_hosts"
    if ! ssh-keyscan -T 10 ${port:+-p "$port"} "$host" >> "$known" 2>/dev/null || ! [ -s "$known" ]; then
      say "could not fetch the SSH host key of $host (ssh-keyscan)"
      return 1
    fi
  fi
  {
    echo "Host $host"
    echo "  UserKnownHostsFile $known"
    echo "  StrictHostKeyChecking yes"
    echo "  ConnectTimeout 20"
    if [ -r "$SSH_KEY_FILE" ]; then
      echo "  IdentityFile $SSH_KEY_FILE"
      echo "  IdentitiesOnly yes"
    fi
  } >> "$HOME/.ssh/config"
  chmod 600 "$HOME/.ssh/config"
  [ -r "$SSH_KEY_FILE" ] && say "using the SSH key for $host"
  return 0
}

setup_token() {
  [ -r "$TOKEN_FILE" ] || return 0
  if [ "$scheme" != https ]; then
    say "not sending the git token over $scheme; use an https:// URL"
    return 0
  fi
  # The helper reads the file at each use (the token is never copied) and is
  # scoped to this one host, so no other remote ever receives it.
  local user="${MAI_GIT_USERNAME:-x-access-token}"
  git config --global "credential.https://$hostport.helper" \
    "!f() { test \"\$1\" = get || exit 0; echo username=$user; printf 'password=%s\\n' \"\$(cat $TOKEN_FILE)\"; }; f"
  say "using the token for https://$hostport"
}

case "$scheme" in
  ssh) setup_ssh || say "continuing without SSH host verification setup; the clone will likely fail" ;;
  https | http) setup_token ;;
esac

# No terminal here: fail instead of waiting forever for a password prompt.
export GIT_TERMINAL_PROMPT=0
if ! git clone -- "$url" "$APP_DIR"; then
  say "clone of $url failed (see the git output above); the session starts without it"
  exit 1
fi
say "cloned into $APP_DIR"

if [ -f "$APP_DIR/.mai/init.sh" ]; then
  say "running $APP_DIR/.mai/init.sh"
  (cd "$APP_DIR" && bash "$APP_DIR/.mai/init.sh")
  rc=$?
  [ "$rc" = 0 ] || { say "$APP_DIR/.mai/init.sh exited with $rc"; exit 1; }
fi
say "done"
