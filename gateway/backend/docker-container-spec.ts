import { isAbsolute } from 'node:path';
import type Dockerode from 'dockerode';
import { MaiError } from '../errors.js';
import type { ContainerInfo, ContainerLogForwarding, ContainerSpec, ContainerState, NetworkAttachment } from './backend.js';

/** Docker's own rule for volume names. */
const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const STATES: readonly ContainerState[] = ['created', 'running', 'paused', 'restarting', 'exited', 'dead', 'removing'];
/**
 * The local log of a session is bounded: 3 files of 10 MB, the oldest rotated away.
 * A session that prints without end must not fill the engine's disk.
 */
const LOCAL_LOG_MAX_SIZE = '10m';
const LOCAL_LOG_MAX_FILES = '3';
/**
 * Lines the engine holds for one container while Fluentd is unreachable (daemon
 * memory, per session). Docker 20.10's fluentd driver never forwards that
 * container's output again once this overflows (measured); the local copy keeps it.
 */
const FLUENTD_BUFFER_LINES = '100000';

/** Translates the domain's container spec into the engine's create options (pure). */
export function toCreateOptions(spec: ContainerSpec): Dockerode.ContainerCreateOptions {
  const mounts: Dockerode.MountSettings[] = spec.volumes.map((v) => {
    if (!isAbsolute(v.target)) throw new MaiError('INPUT_INVALID', `volume target must be an absolute path: ${v.target}`);
    if (isAbsolute(v.source)) return { Type: 'bind', Source: v.source, Target: v.target, ReadOnly: v.readOnly };
    if (!VOLUME_NAME.test(v.source)) {
      throw new MaiError('INPUT_INVALID', `volume source must be an absolute host path or a volume name: ${v.source}`);
    }
    // Labels take effect when the engine creates the volume on first use.
    const options = v.labels ? { VolumeOptions: { NoCopy: false, Labels: v.labels, DriverConfig: { Name: 'local', Options: {} } } } : {};
    return { Type: 'volume', Source: v.source, Target: v.target, ReadOnly: v.readOnly, ...options };
  });

  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of spec.ports) {
    const key = `${p.container}/tcp`;
    exposed[key] = {};
    // Loopback only: a session's ports are for its owner (through ssh -L or
    // the host itself), never for the network the host sits on.
    if (p.host !== undefined) bindings[key] = [{ HostIp: '127.0.0.1', HostPort: String(p.host) }];
  }

  const { cpus, memoryMb, pids } = spec.limits;
  // The engine joins one network at create; the others are connected before start.
  const first = networksOf(spec)[0];
  const hostConfig: Dockerode.HostConfig = {
    // `Mounts` rather than `Binds`: a missing host path is an error instead of
    // an empty root-owned directory silently created on the host.
    Mounts: mounts,
    PortBindings: bindings,
    SecurityOpt: ['no-new-privileges'],
    // docker-init as PID 1 reaps the orphans of killed execs and forwards
    // signals (docker stop, `mai stop`) to the entrypoint.
    Init: true,
    RestartPolicy: { Name: 'no' },
    ...(cpus > 0 ? { NanoCpus: Math.round(cpus * 1e9) } : {}),
    // Swap equal to memory: the limit is a real limit, not a swap invitation.
    ...(memoryMb > 0 ? { Memory: memoryMb * 1024 * 1024, MemorySwap: memoryMb * 1024 * 1024 } : {}),
    ...(pids > 0 ? { PidsLimit: pids } : {}),
    ...(first ? { NetworkMode: first.name } : {}),
    LogConfig: logConfig(spec.log),
  };

  return {
    name: spec.name,
    Image: spec.image,
    Labels: { ...spec.labels },
    Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
    ExposedPorts: exposed,
    Tty: false,
    OpenStdin: false,
    HostConfig: hostConfig,
    ...(spec.command ? { Cmd: spec.command } : {}),
    ...(first?.aliases?.length ? { NetworkingConfig: { EndpointsConfig: { [first.name]: { Aliases: first.aliases } } } } : {}),
  };
}

/** Every network a container joins, the shared one first. */
export function networksOf(spec: ContainerSpec): NetworkAttachment[] {
  return [...(spec.network ? [{ name: spec.network }] : []), ...(spec.networks ?? [])];
}

/**
 * The engine's log driver for the container. Without forwarding: `json-file` (what
 * `docker logs` reads), rotated. With Fluentd: Docker's own `fluentd` driver, so
 * lines leave the engine without passing through mai, and a mai restart loses none.
 */
function logConfig(forward: ContainerLogForwarding | undefined): Dockerode.HostConfig['LogConfig'] {
  if (!forward) return { Type: 'json-file', Config: { 'max-size': LOCAL_LOG_MAX_SIZE, 'max-file': LOCAL_LOG_MAX_FILES } };
  return {
    Type: 'fluentd',
    Config: {
      'fluentd-address': forward.address,
      tag: forward.tag,
      // Connect and send in the background: an unreachable Fluentd does not fail the
      // container's start; lines wait in a buffer and are retried (with backoff).
      'fluentd-async': 'true',
      'fluentd-buffer-limit': FLUENTD_BUFFER_LINES,
      // With acks a line written into a connection Fluentd just dropped is sent again;
      // without, it is lost (measured: output of an outage never arrived).
      'fluentd-request-ack': String(forward.ack),
      // A full buffer makes the fluentd driver block, and the container's writes with
      // it. Non-blocking puts a ring buffer (1 MB, the engine's default) in front of
      // the driver that drops lines rather than wait; the local copy is written before
      // it and keeps every line.
      mode: 'non-blocking',
      // These container labels become fields of every record (`mai.session`, ...),
      // so Fluentd can route and filter without parsing the tag.
      labels: forward.labels.join(','),
      // Docker 20.10's dual logging keeps a local copy for `docker logs` (and so for
      // `mai session logs`) beside any remote driver; bounded like json-file above.
      // An operator may turn it off engine-wide (`cache-disabled`); then logs() says so.
      'cache-max-size': LOCAL_LOG_MAX_SIZE,
      'cache-max-file': LOCAL_LOG_MAX_FILES,
    },
  };
}

export function toState(value: string | undefined): ContainerState {
  const s = (value ?? '').toLowerCase();
  return (STATES as readonly string[]).includes(s) ? (s as ContainerState) : 'dead';
}

export function fromInspect(info: Dockerode.ContainerInspectInfo): ContainerInfo {
  const state = toState(info.State.Status);
  return {
    id: info.Id,
    name: info.Name.replace(/^\//, ''),
    image: info.Config.Image,
    labels: info.Config.Labels ?? {},
    state,
    exitCode: state === 'exited' || state === 'dead' ? info.State.ExitCode : null,
  };
}

export function fromListing(info: Dockerode.ContainerInfo): ContainerInfo {
  const state = toState(info.State);
  // The listing has no exit code field, only the human status ("Exited (100) 3 seconds ago").
  const exited = /^Exited \((-?\d+)\)/.exec(info.Status);
  return {
    id: info.Id,
    name: (info.Names[0] ?? '').replace(/^\//, ''),
    image: info.Image,
    labels: info.Labels ?? {},
    state,
    exitCode: exited?.[1] !== undefined ? Number(exited[1]) : null,
  };
}

/** The engine's `label` filter for "carries all these labels" (value '' = the label with any value). */
export function labelFilter(labels: Record<string, string>): string[] {
  return Object.entries(labels).map(([k, v]) => (v === '' ? k : `${k}=${v}`));
}

/** Whether `labels` carries all of `wanted`, as `labelFilter` selects on the engine. */
export function matchesLabels(labels: Record<string, string>, wanted: Record<string, string>): boolean {
  return Object.entries(wanted).every(([k, v]) => k in labels && (v === '' || labels[k] === v));
}
