/**
 * Lazy loading of the AWS SDK and construction of the `S3Client`. Nothing
 * here imports the SDK at module load, so `import 'stowage/s3'` works without
 * it and the first operation reports which package to install.
 */
import type * as S3Module from '@aws-sdk/client-s3';
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import type * as PresignerModule from '@aws-sdk/s3-request-presigner';
import { StorageError } from '../../core/errors.js';
import type { ResolvedConnection } from './options.js';

/** The SDK pieces the adapter uses. */
export interface S3Sdk {
  s3: typeof S3Module;
}

let sdkPromise: Promise<S3Sdk> | undefined;
let presignerPromise: Promise<typeof PresignerModule> | undefined;

function missing(pkg: string, cause: unknown): StorageError {
  return new StorageError(
    'InvalidConfig',
    `The s3 backend needs the optional peer dependency ${pkg}: run \`npm install ${pkg}\`.`,
    { backend: 's3', cause },
  );
}

/** Loads `@aws-sdk/client-s3` once. */
export function loadSdk(): Promise<S3Sdk> {
  sdkPromise ??= import('@aws-sdk/client-s3').then(
    (s3) => ({ s3 }),
    (e: unknown) => {
      sdkPromise = undefined;
      throw missing('@aws-sdk/client-s3', e);
    },
  );
  return sdkPromise;
}

/** Loads `@aws-sdk/s3-request-presigner` once (only `presign` needs it). */
export function loadPresigner(): Promise<typeof PresignerModule> {
  presignerPromise ??= import('@aws-sdk/s3-request-presigner').catch((e: unknown) => {
    presignerPromise = undefined;
    throw missing('@aws-sdk/s3-request-presigner', e);
  });
  return presignerPromise;
}

/** Credentials provider for the options: static, a function, a profile, or assume-role over them. */
async function credentialsFor(connection: ResolvedConnection): Promise<S3ClientConfig['credentials']> {
  const { credentials, profile, assumeRole } = connection;
  if (credentials !== undefined && assumeRole === undefined) return credentials;
  if (profile === undefined && assumeRole === undefined) return undefined; // the SDK's default chain
  let providers: typeof import('@aws-sdk/credential-providers');
  try {
    providers = await import('@aws-sdk/credential-providers');
  } catch (e) {
    throw missing('@aws-sdk/credential-providers', e);
  }
  const base =
    credentials ??
    (profile !== undefined ? providers.fromIni({ profile }) : providers.fromNodeProviderChain({}));
  if (assumeRole === undefined) return base;
  return providers.fromTemporaryCredentials({
    masterCredentials: base,
    params: {
      RoleArn: assumeRole.roleArn,
      RoleSessionName: assumeRole.sessionName ?? 'stowage',
      ExternalId: assumeRole.externalId,
      DurationSeconds: assumeRole.durationSeconds ?? 3600,
    },
    clientConfig: connection.region ? { region: connection.region } : undefined,
  });
}

/** Builds (or returns the injected) client for the connection options. */
export async function createClient(
  connection: ResolvedConnection,
): Promise<{ client: S3Client; owned: boolean }> {
  if (connection.client) return { client: connection.client, owned: false };
  const { s3 } = await loadSdk();
  const config: S3ClientConfig = {
    // With a profile and no region, the SDK reads the profile's region.
    region:
      connection.region ??
      process.env.AWS_REGION ??
      process.env.AWS_DEFAULT_REGION ??
      (connection.profile === undefined ? 'us-east-1' : undefined),
    endpoint: connection.endpoint,
    forcePathStyle: connection.forcePathStyle,
    credentials: await credentialsFor(connection),
    requestChecksumCalculation: connection.requestChecksumCalculation,
    responseChecksumValidation: connection.responseChecksumValidation,
    maxAttempts: connection.maxAttempts,
    requestHandler: {
      // socketTimeout is the idle timer (requestTimeout only warns in this SDK generation).
      socketTimeout: connection.idleTimeoutMs,
      connectionTimeout: connection.connectTimeoutMs,
      httpAgent: { keepAlive: true, maxSockets: connection.maxSockets },
      httpsAgent: { keepAlive: true, maxSockets: connection.maxSockets },
    },
  };
  if (
    connection.profile !== undefined &&
    connection.credentials === undefined &&
    connection.assumeRole === undefined
  ) {
    config.profile = connection.profile;
  }
  return { client: new s3.S3Client(config), owned: true };
}
