/** What the CLI prints: sizes, tables, JSON lines, and a progress bar that only a terminal sees. */
import type { Progress } from '../core/backend.js';
import { isStorageError } from '../core/errors.js';

/** Where and how a command prints. Injected so tests can capture it. */
export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream;
  /** Print one JSON object per line instead of text. */
  json: boolean;
}

/** Writes a line of text, or (in JSON mode) the object as one JSON line. */
export function emit(io: Io, text: string, object?: unknown): void {
  if (io.json) {
    if (object !== undefined) io.stdout.write(`${JSON.stringify(object, jsonReplacer)}\n`);
  } else {
    io.stdout.write(`${text}\n`);
  }
}

function jsonReplacer(_key: string, value: unknown): unknown {
  return value instanceof Date ? value.toISOString() : value;
}

/** 1536 → '1.5 KiB'. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '?';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`;
}

/** 1247 → '1,247'. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** 125000 ms → '2:05'; undefined → '--:--'. */
export function formatEta(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '--:--';
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = h > 0 ? String(m).padStart(2, '0') : String(m);
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(s).padStart(2, '0')}`;
}

/** A Date as 'YYYY-MM-DD HH:MM UTC'. */
export function formatDate(date: Date | undefined): string {
  if (date === undefined) return '-';
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** Aligns rows of cells into columns. */
export function table(rows: string[][], rightAligned: number[] = []): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) => (rightAligned.includes(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** What a progress bar is fed: bytes and (optionally) objects. */
export interface ProgressState {
  label?: string;
  bytesDone: number;
  bytesTotal?: number;
  objectsDone?: number;
  objectsTotal?: number;
  bytesPerSecond?: number;
  etaMs?: number;
}

/**
 * A one-line progress bar with rate and ETA, redrawn at most 10 times a
 * second, on stderr only when it is a terminal. In JSON mode progress goes to
 * stdout as `{"type":"progress",...}` lines (at most 4 a second); when piped
 * without JSON nothing decorative is printed.
 */
export class ProgressBar {
  private lastDraw = 0;
  private drawn = false;
  private readonly started = Date.now();

  constructor(
    private readonly io: Io,
    private readonly enabled: boolean,
  ) {}

  /** Whether a bar is drawn on a terminal (not JSON lines, not a pipe). */
  get visible(): boolean {
    return this.enabled && !this.io.json && this.io.stderr.isTTY === true;
  }

  /** Feeds a byte-only progress event (from onProgress). */
  bytes(p: Progress, label?: string): void {
    this.update({ label, bytesDone: p.loaded, bytesTotal: p.total });
  }

  update(state: ProgressState): void {
    if (!this.enabled) return;
    const now = Date.now();
    const elapsed = Math.max(1, now - this.started);
    const rate = state.bytesPerSecond ?? (state.bytesDone * 1000) / elapsed;
    const eta =
      state.etaMs ??
      (state.bytesTotal !== undefined && rate > 0
        ? ((state.bytesTotal - state.bytesDone) / rate) * 1000
        : undefined);
    if (this.io.json) {
      if (now - this.lastDraw < 250) return;
      this.lastDraw = now;
      this.io.stdout.write(
        `${JSON.stringify({ type: 'progress', ...state, bytesPerSecond: Math.round(rate), etaMs: eta })}\n`,
      );
      return;
    }
    if (!this.io.stderr.isTTY || now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const fraction = state.bytesTotal ? Math.min(1, state.bytesDone / state.bytesTotal) : undefined;
    const width = 24;
    const bar =
      fraction === undefined
        ? ''
        : `[${'='.repeat(Math.round(fraction * width)).padEnd(width, ' ')}] ${(fraction * 100).toFixed(0).padStart(3)}% `;
    const objects =
      state.objectsDone !== undefined
        ? `${formatCount(state.objectsDone)}${state.objectsTotal !== undefined ? `/${formatCount(state.objectsTotal)}` : ''} objects  `
        : '';
    const line = `${state.label ? `${state.label} ` : ''}${bar}${objects}${formatBytes(state.bytesDone)}${
      state.bytesTotal !== undefined ? `/${formatBytes(state.bytesTotal)}` : ''
    }  ${formatBytes(rate)}/s  ETA ${formatEta(eta)}`;
    this.io.stderr.write(`\r\x1b[2K${line}`);
    this.drawn = true;
  }

  /** Clears the bar so the next line starts clean. */
  done(): void {
    if (this.drawn) this.io.stderr.write('\r\x1b[2K');
    this.drawn = false;
  }
}

/** The one line printed for a failure: `stowage: NotFound: No object at "a.txt".` */
export function errorLine(e: unknown): string {
  if (isStorageError(e)) return `stowage: ${e.code}: ${e.message}`;
  return `stowage: ${e instanceof Error ? e.message : String(e)}`;
}
