/**
 * The `source-address` critical option, PROTOCOL.certkeys: "Comma-separated list of
 * source addresses from which this certificate is accepted for authentication.
 * Addresses are specified in CIDR format (nn.nn.nn.nn/nn or hhhh::hhhh/nn). If this
 * option is not present, then certificates may be presented from any source address."
 *
 * Like OpenSSH's addr_match_cidr_list: an entry without a prefix length is a single
 * host, a prefix with host bits set is malformed, and an IPv4-mapped IPv6 client
 * address (::ffff:a.b.c.d) is matched as the IPv4 address it carries.
 */
import { isIPv4, isIPv6 } from 'node:net';

interface Cidr {
  readonly bytes: Buffer;
  readonly prefix: number;
}

function parseIPv4(text: string): Buffer | undefined {
  if (!isIPv4(text)) return undefined;
  return Buffer.from(text.split('.').map((p) => Number(p)));
}

function parseIPv6(text: string): Buffer | undefined {
  if (!isIPv6(text)) return undefined;
  // A trailing dotted quad (RFC 4291 §2.2 form 3) becomes two hex groups.
  const lastColon = text.lastIndexOf(':');
  const dotted = text.slice(lastColon + 1);
  let hex = text;
  if (dotted.includes('.')) {
    const v4 = parseIPv4(dotted);
    if (!v4) return undefined;
    hex = `${text.slice(0, lastColon + 1)}${v4.readUInt16BE(0).toString(16)}:${v4.readUInt16BE(2).toString(16)}`;
  }
  const halves = hex.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const left = groupsOf(halves[0] ?? '');
  const right = halves.length === 2 ? groupsOf(halves[1] ?? '') : [];
  const zeros = halves.length === 2 ? 8 - left.length - right.length : 0;
  if (zeros < 0) return undefined;
  const groups = [...left, ...new Array<number>(zeros).fill(0), ...right];
  if (groups.length !== 8 || groups.some((g) => !(g >= 0 && g <= 0xffff))) return undefined;
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

/** Parses a v4 or v6 address (an IPv6 zone suffix `%eth0` is ignored) to 4 or 16 bytes. */
export function parseIpAddress(text: string): Buffer | undefined {
  const bare = text.replace(/%[^%]*$/, '');
  return parseIPv4(bare) ?? parseIPv6(bare);
}

function hostBitsClear(bytes: Buffer, prefix: number): boolean {
  for (let bit = prefix; bit < bytes.length * 8; bit++) {
    if (((bytes[bit >> 3] as number) >> (7 - (bit & 7))) & 1) return false;
  }
  return true;
}

function inPrefix(addr: Buffer, cidr: Cidr): boolean {
  if (addr.length !== cidr.bytes.length) return false;
  for (let bit = 0; bit < cidr.prefix; bit++) {
    const mask = 1 << (7 - (bit & 7));
    if ((((addr[bit >> 3] as number) ^ (cidr.bytes[bit >> 3] as number)) & mask) !== 0) return false;
  }
  return true;
}

/** Parses the option's value; returns undefined if any entry is malformed. */
export function parseSourceAddressList(list: string): Cidr[] | undefined {
  const out: Cidr[] = [];
  for (const entry of list.split(',')) {
    const m = /^([0-9A-Fa-f:.]+)(?:\/(\d{1,3}))?$/.exec(entry);
    if (!m) return undefined;
    const bytes = parseIpAddress(m[1] as string);
    if (!bytes) return undefined;
    const prefix = m[2] === undefined ? bytes.length * 8 : Number(m[2]);
    if (prefix > bytes.length * 8 || !hostBitsClear(bytes, prefix)) return undefined;
    out.push({ bytes, prefix });
  }
  return out;
}

/** The 4 bytes of an IPv4-mapped IPv6 address (::ffff:a.b.c.d), else the address unchanged. */
function unmapIPv4(addr: Buffer): Buffer {
  if (addr.length === 16 && addr.subarray(0, 10).every((b) => b === 0) && addr[10] === 0xff && addr[11] === 0xff) {
    return addr.subarray(12);
  }
  return addr;
}

/**
 * Whether `clientAddress` is within the comma-separated CIDR `list`.
 * Returns 'malformed' when the list (or the client address) cannot be parsed.
 */
export function matchSourceAddress(list: string, clientAddress: string): boolean | 'malformed' {
  const cidrs = parseSourceAddressList(list);
  const raw = parseIpAddress(clientAddress);
  if (!cidrs || !raw) return 'malformed';
  const candidates = [raw, unmapIPv4(raw)];
  return cidrs.some((c) => candidates.some((a) => inPrefix(a, c)));
}
