/** Presigned GET and PUT URLs (via `@aws-sdk/s3-request-presigner`, loaded on first use). */
import type { PresignedRequest } from '../../core/backend.js';
import type { ResolvedPresignOptions } from '../../core/base.js';
import type { S3Session } from './backend.js';
import { loadPresigner } from './client.js';

/**
 * Presigns a request for `path` in `bucket`. The URL carries no checksum:
 * since client-s3 3.729 the SDK adds the CRC32 of an *empty* body to
 * presigned PUTs (when checksums are WHEN_SUPPORTED), which makes every real
 * upload fail, so checksum headers are stripped before signing.
 */
export async function presignRequest(
  session: S3Session,
  bucket: string,
  path: string,
  options: ResolvedPresignOptions,
): Promise<PresignedRequest> {
  const { client, s3 } = session;
  const { getSignedUrl } = await loadPresigner();
  const command =
    options.method === 'GET'
      ? new s3.GetObjectCommand({ Bucket: bucket, Key: path })
      : new s3.PutObjectCommand({ Bucket: bucket, Key: path, ContentType: options.contentType });
  // 'build' step, low priority: runs after the checksum middleware of the same step.
  (command as InstanceType<typeof s3.PutObjectCommand>).middlewareStack.add(
    (next) => async (args) => {
      const headers = (args.request as { headers?: Record<string, string> }).headers ?? {};
      for (const name of Object.keys(headers)) {
        if (/^x-amz-(checksum-|sdk-checksum-algorithm)/i.test(name)) delete headers[name];
      }
      return next(args);
    },
    { step: 'build', priority: 'low', name: 'stowagePresignWithoutChecksum' },
  );
  const headers: Record<string, string> = {};
  if (options.method === 'PUT' && options.contentType !== undefined)
    headers['content-type'] = options.contentType;
  const url = await getSignedUrl(client, command, {
    expiresIn: options.expiresIn,
    signableHeaders: new Set(Object.keys(headers)),
  });
  return { url, method: options.method, headers, expiresAt: new Date(Date.now() + options.expiresIn * 1000) };
}
