#!/bin/bash
# Standardized session init (the driver's pre-command, run by /entrypoint.sh):
# when MAI_PROJECT_URL is set, configure git credentials, clone into /app and
# run the project's own /app/.mai/init.sh. Output goes to docker logs and to
# ~/.mai/init.log. A failure is reported and the session still comes up.
#
# Secrets never travel through the environment (they would show in
# `docker inspect`): the host places them as files before the container starts,
# mode 0400, owned by the session user.
set -u

SECRETS_DIR=/run/mai/secrets
SSH_KEY_FILE="$SECRETS_DIR/git-ssh-key"
TOKEN_FILE="$SECRETS_DIR/git-token"
# Not secret, but placed by the host like the secrets (see README).
KNOWN_HOSTS_FILE=/run/mai/ssh/known_hosts
SCAN_HOSTS_FILE=/run/mai/ssh/scan-hosts
CA_FILE=/run/mai/git/ca.pem
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

# Host keys come only from files the host placed before start: known_hosts lines
# stored with the project, and the operator's list of hosts that may be scanned
# (`projects.default_ssh_scan`). Anything else is refused: never
# StrictHostKeyChecking=no, never a silent trust-on-first-use.
host_key_pattern() { if [ -n "$port" ] && [ "$port" != 22 ]; then echo "[$host]:$port"; else echo "$host"; fi; }

setup_ssh() {
  mkdir -p "$HOME/.ssh" && chmod 700 "$HOME/.ssh"
  local known="$HOME/.ssh/known_hosts" pattern
  pattern="$(host_key_pattern)"
  touch "$known" && chmod 600 "$known"
  if [ -r "$KNOWN_HOSTS_FILE" ] && ssh-keygen -F "$pattern" -f "$KNOWN_HOSTS_FILE" >/dev/null 2>&1; then
    cat "$KNOWN_HOSTS_FILE" >> "$known"
    say "using the stored SSH host key of $pattern"
  elif [ -r "$SCAN_HOSTS_FILE" ] && grep -qxF "$host" "$SCAN_HOSTS_FILE"; then
    if ! ssh-keyscan -T 10 ${port:+-p "$port"} "$host" >> "$known" 2>/dev/null || ! ssh-keygen -F "$pattern" -f "$known" >/dev/null 2>&1; then
      say "could not fetch the SSH host key of $pattern (ssh-keyscan); is the host reachable from the session?"
      return 1
    fi
    say "fetched the SSH host key of $pattern ($host is in projects.default_ssh_scan)"
  else
    say "no SSH host key for $pattern: add $host to projects.default_ssh_scan in the mai config, or add the project with --known-hosts FILE"
    return 1
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
  if [ -r "$SSH_KEY_FILE" ]; then say "using the SSH key for $host"; fi
  return 0
}

setup_token() {
  [ -r "$TOKEN_FILE" ] || return 0
  if [ "$scheme" != https ]; then
    say "not sending the git token over $scheme (it would cross in clear); use an https:// URL"
    return 0
  fi
  # The helper reads the file at each use (the token is never copied) and is
  # scoped to this one host, so no other remote ever receives it.
  local user="${MAI_GIT_USERNAME:-x-access-token}"
  # The name becomes part of the helper's shell code: only user-name characters pass
  # (the server checks the same), and it is quoted for the shell besides.
  if ! [[ "$user" =~ ^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$ ]]; then
    say "not using the git token: the configured user name is not a plain name"
    return 0
  fi
  git config --global "credential.https://$hostport.helper" \
    "!f() { test \"\$1\" = get || exit 0; echo username=$(printf '%q' "$user"); printf 'password=%s\\n' \"\$(cat $TOKEN_FILE)\"; }; f"
  say "using the token for https://$hostport"
}

# A private CA for a self-hosted git server (stored with the project), for that host only.
if [ -r "$CA_FILE" ] && [ "$scheme" = https ]; then
  git config --global "http.https://$hostport/.sslCAInfo" "$CA_FILE"
  say "trusting the project's CA certificate for https://$hostport"
fi

case "$scheme" in
  ssh)
    if ! setup_ssh; then
      # No connection at all without a trusted host key: nothing is sent to an unverified server.
      say "clone of $url not attempted: no trusted SSH host key; the session starts without it"
      exit 1
    fi
    ;;
  https | http) setup_token ;;
esac

# No terminal here: fail instead of waiting forever for a password prompt.
export GIT_TERMINAL_PROMPT=0
err_file="$(mktemp)"
# /app exists (it is the workdir): clone into it only when empty, the way git allows.
if ! git clone --progress -- "$url" "$APP_DIR" 2> >(tee "$err_file" >&2); then
  sleep 0.2 # let the tee above flush
  why="see the git output above"
  if grep -q 'Permission denied (publickey' "$err_file"; then why="the server refused the SSH key (wrong key, or not authorized for this repository)"
  elif grep -q 'Host key verification failed' "$err_file"; then why="the server's SSH host key does not match the trusted one"
  elif grep -qi 'Authentication failed\|could not read Username\|403\|401' "$err_file"; then why="the server refused the credentials (token wrong, expired, or without access)"
  elif grep -qi 'Could not resolve host\|Connection refused\|timed out\|Network is unreachable' "$err_file"; then why="the git server could not be reached from the session"
  elif grep -qi 'not found\|does not appear to be a git repository\|does not exist' "$err_file"; then why="the repository was not found (or the credentials cannot see it)"
  elif grep -qi 'certificate' "$err_file"; then why="the server's TLS certificate is not trusted"
  fi
  rm -f "$err_file"
  say "clone of $url failed: $why; the session starts without it"
  exit 1
fi
rm -f "$err_file"
say "cloned into $APP_DIR"

if [ -f "$APP_DIR/.mai/init.sh" ]; then
  say "running $APP_DIR/.mai/init.sh"
  (cd "$APP_DIR" && bash "$APP_DIR/.mai/init.sh")
  rc=$?
  [ "$rc" = 0 ] || { say "$APP_DIR/.mai/init.sh exited with $rc"; exit 1; }
fi
say "done"
