import type { Socket } from 'node:net';
import type { Algorithms } from 'ssh2';

/**
 * Which ciphers and MACs the gateway offers a connection, chosen from the
 * client's identification line (RFC 4253 §4.2: "SSH-2.0-softwareversion
 * comments"), which a client sends as soon as the TCP connection is up.
 *
 * Why two offers: bulk transfers through the gateway are CPU-bound, and AES-GCM
 * (AES-NI, no separate HMAC) costs it least. OpenSSH chooses by its own order,
 * chacha20-poly1305 then AES-CTR + HMAC then AES-GCM, and PuTTY puts AES-CTR
 * before AES-GCM: offered anything else, both take the costlier cipher. Held to
 * AES-GCM, 200 MB through the gateway went from 0.52 to 0.61-0.67 of the
 * throughput of `docker exec` (test/bench). So clients known to have AES-GCM and
 * to prefer something else get AES-GCM only.
 *
 * Every other client also gets AES-CTR: paramiko before 3.5 (Debian 12 ships
 * 2.12) and libssh2 before 1.11 have no AES-GCM. A client that has GCM and
 * prefers it (AsyncSSH, ssh2) still negotiates GCM. The MACs are SHA-2 only,
 * encrypt-then-MAC and RFC 6668's plain forms (paramiko 2.12 prefers
 * `hmac-sha2-256`; libssh2 before 1.11 has no -etm). Never CBC, SHA-1 MACs or
 * SHA-1 key exchange; the host key is ed25519 and user signatures with SHA-1
 * `ssh-rsa` are refused by keys/ssh-signature.ts.
 */
export type OfferName = 'aes-gcm' | 'aes-gcm-or-ctr';

const GCM = ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com'] as const;
/** AEAD ciphers ignore the MAC list; it is the same in both offers so no SHA-1 MAC is ever listed. */
const MACS = ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com', 'hmac-sha2-256', 'hmac-sha2-512'] as const;

export const OFFERS: Readonly<Record<OfferName, Algorithms>> = {
  'aes-gcm': { cipher: [...GCM], hmac: [...MACS] },
  'aes-gcm-or-ctr': { cipher: [...GCM, 'aes128-ctr', 'aes256-ctr'], hmac: [...MACS] },
};

/**
 * Clients with AES-GCM that would choose another cipher if offered one:
 * OpenSSH since 6.2 (including Microsoft's "OpenSSH_for_Windows_"), PuTTY since 0.76.
 */
const GCM_ONLY_CLIENTS: ReadonlyArray<{ pattern: RegExp; since: [number, number] }> = [
  { pattern: /^OpenSSH_(?:for_Windows_)?(\d+)\.(\d+)/, since: [6, 2] },
  { pattern: /^PuTTY_Release_(\d+)\.(\d+)/, since: [0, 76] },
];

/** The offer for a client that sent `ident` (its identification line), or none in time (`null`). */
export function offerFor(ident: string | null): OfferName {
  const software = ident?.match(/^SSH-2\.0-(\S+)/)?.[1];
  if (!software) return 'aes-gcm-or-ctr';
  for (const { pattern, since } of GCM_ONLY_CLIENTS) {
    const m = pattern.exec(software);
    if (!m) continue;
    const [major, minor] = [Number(m[1]), Number(m[2])];
    return major > since[0] || (major === since[0] && minor >= since[1]) ? 'aes-gcm' : 'aes-gcm-or-ctr';
  }
  return 'aes-gcm-or-ctr';
}

/** RFC 4253 §4.2: at most 255 characters including CR LF. */
const MAX_IDENT_BYTES = 255;

/**
 * Reads the client's identification line without consuming it: once it has come
 * (or `maxWaitMs` passed, or more than 255 bytes came without a line end), every
 * byte read is put back, the socket is left paused, and `then` gets the line
 * without CR LF, or `null`. A client that waits for the server's line before
 * sending its own gets `null`, which `offerFor` answers with the offer every
 * client can use. Nothing is called if the socket closes first.
 */
export function peekClientIdent(socket: Socket, maxWaitMs: number, then: (ident: string | null) => void): void {
  let buffered = Buffer.alloc(0);
  const finish = (ident: string | null): void => {
    clearTimeout(timer);
    socket.off('data', onData).off('close', onClose).off('error', onError);
    socket.pause();
    if (buffered.length > 0) socket.unshift(buffered);
    then(ident);
  };
  const onData = (chunk: Buffer): void => {
    buffered = Buffer.concat([buffered, chunk]);
    const end = buffered.indexOf(0x0a);
    if (end !== -1) finish(buffered.subarray(0, end).toString('latin1').replace(/\r$/, ''));
    else if (buffered.length > MAX_IDENT_BYTES) finish(null);
  };
  const onClose = (): void => clearTimeout(timer);
  // A reset before the line arrives is not an error of ours; the socket closes.
  const onError = (): void => {};
  const timer = setTimeout(() => finish(null), maxWaitMs);
  socket.on('data', onData).on('close', onClose).on('error', onError);
}
