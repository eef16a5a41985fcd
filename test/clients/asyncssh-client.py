"""AsyncSSH, as Debian ships it (python3-asyncssh), against a gateway on 127.0.0.1.

Usage: asyncssh-client.py PORT KEY CERT KNOWN_HOSTS LOGIN exec COMMAND
                                                          put LOCAL REMOTE   (sftp)
                                                          get REMOTE LOCAL   (sftp)
exec writes the command's stdout and stderr and exits with its exit status.
The certificate is passed as AsyncSSH takes one: client_keys=[(key, certificate)].
"""
import asyncio
import sys
import warnings

# Debian's python3-cryptography warns on import about ciphers AsyncSSH merely lists.
warnings.simplefilter('ignore')
import asyncssh  # noqa: E402


async def main(port, key_file, cert_file, known_hosts, login, action, *args):
    key = asyncssh.read_private_key(key_file)
    cert = asyncssh.read_certificate(cert_file)
    async with asyncssh.connect('127.0.0.1', int(port), username=login, client_keys=[(key, cert)],
                                known_hosts=known_hosts, agent_path=None, config=None) as conn:
        if action == 'exec':
            result = await conn.run(args[0], encoding=None)
            sys.stdout.buffer.write(result.stdout)
            sys.stderr.buffer.write(result.stderr)
            return result.exit_status
        async with conn.start_sftp_client() as sftp:
            await (sftp.put if action == 'put' else sftp.get)(*args)
        return 0


sys.exit(asyncio.run(main(*sys.argv[1:])))
