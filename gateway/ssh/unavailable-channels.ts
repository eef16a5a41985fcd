import type { Connection, ServerChannel } from 'ssh2';
import type { MaiError } from '../errors.js';
import { failChannel } from './bridge.js';

/**
 * A connection whose certificate checked out while the store could not be asked about
 * it (revocations, admin rights): it reaches nothing. Each session channel's request
 * (shell, exec, subsystem) is answered with the error's one line on stderr and exit
 * status 1, so `ssh` prints why instead of "Permission denied"; forwardings and
 * global requests are refused. Lifecycle: call once, on the connection's `ready`.
 */
export function refuseChannels(client: Connection, error: MaiError): void {
  client.on('session', (accept) => {
    const session = accept();
    let pty = false;
    session.on('pty', (acceptPty) => {
      pty = true;
      acceptPty?.();
    });
    session.on('env', (acceptEnv) => acceptEnv?.());
    // ssh2's accept gives nothing for a channel already closing (a second request on an answered one).
    const answer = (acceptChannel: () => ServerChannel | undefined) => {
      const channel = acceptChannel();
      if (channel) failChannel(channel, error.message, pty ? '\r\n' : '\n', 1);
    };
    session.on('shell', (acceptShell) => answer(acceptShell));
    session.on('exec', (acceptExec) => answer(acceptExec));
    session.on('subsystem', (acceptSubsystem) => answer(acceptSubsystem));
  });
  client.on('tcpip', (_accept, reject) => reject());
  client.on('request', (_accept, reject) => reject?.());
}
