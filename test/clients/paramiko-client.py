"""paramiko, as Debian ships it (python3-paramiko), against a gateway on 127.0.0.1.

Usage: paramiko-client.py PORT KEY CERT KNOWN_HOSTS LOGIN exec COMMAND
                                                          put LOCAL REMOTE   (sftp)
                                                          get REMOTE LOCAL   (sftp)
exec writes the command's stdout and stderr and exits with its exit status.
The certificate is passed as paramiko takes one: the key, then load_certificate().
"""
import sys

import paramiko


def main(port, key_file, cert_file, known_hosts, login, action, *args):
    key = paramiko.Ed25519Key.from_private_key_file(key_file)
    key.load_certificate(cert_file)
    client = paramiko.SSHClient()
    client.load_host_keys(known_hosts)  # unknown host keys: RejectPolicy, the default
    client.connect('127.0.0.1', port=int(port), username=login, pkey=key, look_for_keys=False, allow_agent=False)
    try:
        if action == 'exec':
            _, stdout, stderr = client.exec_command(args[0])
            sys.stdout.buffer.write(stdout.read())
            sys.stderr.buffer.write(stderr.read())
            return stdout.channel.recv_exit_status()
        sftp = client.open_sftp()
        (sftp.put if action == 'put' else sftp.get)(*args)
        sftp.close()
        return 0
    finally:
        client.close()


sys.exit(main(*sys.argv[1:]))
