import { z } from 'zod';

/** Duration strings like `8h`, `30m`, `90s`, `1d` (or a number of seconds) as seconds. */
export const durationSeconds = z
  .union([z.number().int().positive(), z.string().regex(/^\d+[smhd]$/, 'expected a duration like 30m, 8h or 1d')])
  .transform((value) => {
    if (typeof value === 'number') return value;
    const unit = { s: 1, m: 60, h: 3600, d: 86400 }[value.slice(-1) as 's' | 'm' | 'h' | 'd'];
    return Number(value.slice(0, -1)) * unit;
  });

/** Sizes like `50MB`, `512KB`, `2GB` (powers of 1024), or a number of bytes, as bytes. */
export const sizeBytes = z
  .union([z.number().int().positive(), z.string().regex(/^\d+(KB|MB|GB)$/, 'expected a size like 512KB, 50MB or 2GB')])
  .transform((value) => {
    if (typeof value === 'number') return value;
    const unit = { KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 }[value.slice(-2) as 'KB' | 'MB' | 'GB'];
    return Number(value.slice(0, -2)) * unit;
  });

/**
 * `sessions.recording`, in the service config (on by default) and the CLI's (off: the
 * user's own machine). Interactive terminals are recorded as asciicast v2 files in the
 * data dir.
 */
export function recordingSchema(enabledByDefault: boolean) {
  return z
    .object({
      enabled: z.boolean().default(enabledByDefault),
      /** Keystrokes too: off by default, since what is typed at a password prompt would be kept. */
      input: z.boolean().default(false),
      /** One recording stops growing at this size (the terminal goes on). */
      maxSize: sizeBytes.default(50 * 1024 ** 2),
      /** Recordings older than this are deleted, also those of closed sessions. */
      retention: durationSeconds.default(30 * 86400),
    })
    .strict()
    .prefault({});
}

export type RecordingConfig = z.output<ReturnType<typeof recordingSchema>>;
