/**
 * What a backend can do. A flat object of booleans and limits, declared by
 * each backend, passed through by middleware, and checked by the conformance
 * kit. A capability declared `false` makes the matching option throw
 * `Unsupported` instead of being silently ignored.
 */
export interface Capabilities {
  /** `read`/`stream` accept `range`. */
  readonly rangeRead: boolean;
  /** `write` accepts bodies of unknown length without buffering them whole. */
  readonly streamingWrite: boolean;
  /** Large bodies are uploaded in parts (multipart / resumable / blocks). */
  readonly multipartWrite: boolean;
  /** `write` honours `ifNotExists` and `ifMatch`. */
  readonly conditionalWrite: boolean;
  /** `read`/`stream`/`stat` honour `ifMatch` and `ifNoneMatch`. */
  readonly conditionalRead: boolean;
  /** `copy` runs inside the service, without moving bytes through this process. */
  readonly serverSideCopy: boolean;
  /** `move` is atomic (a rename), not copy-then-delete. */
  readonly atomicMove: boolean;
  /** `presign` returns URLs. */
  readonly presign: boolean;
  /** Custom metadata, content type and the other headers round-trip. */
  readonly metadata: boolean;
  /** Objects have versions, readable with `version`. */
  readonly versioning: boolean;
  /** `write` accepts `storageClass`. */
  readonly storageClass: boolean;
  /** `list` supports `recursive: false` natively (else it is emulated). */
  readonly listDelimiter: boolean;
  /** Largest object in bytes (`Infinity` when unbounded). */
  readonly maxObjectSize: number;
  /** Longest key in bytes of UTF-8. */
  readonly maxKeyBytes: number;
}

/** Names of the boolean capabilities, in declaration order. */
export const CAPABILITY_FLAGS = [
  'rangeRead',
  'streamingWrite',
  'multipartWrite',
  'conditionalWrite',
  'conditionalRead',
  'serverSideCopy',
  'atomicMove',
  'presign',
  'metadata',
  'versioning',
  'storageClass',
  'listDelimiter',
] as const satisfies readonly (keyof Capabilities)[];

/** Builds a full capability object: every flag false unless given. */
export function defineCapabilities(partial: Partial<Capabilities>): Capabilities {
  const base: Record<string, boolean | number> = {
    maxObjectSize: Number.POSITIVE_INFINITY,
    maxKeyBytes: 1024,
  };
  for (const flag of CAPABILITY_FLAGS) base[flag] = false;
  return Object.freeze({ ...base, ...partial }) as Capabilities;
}
