/**
 * `presign`: where `capabilities.presign`, a GET URL downloads the object and
 * a PUT URL uploads one, with plain `fetch`; elsewhere `Unsupported`.
 */
import { ensure, equal, rejectsWith, sameBytes } from './assert.js';
import type { KitContext } from './context.js';
import { randomBytes } from './fixtures.js';
import { AWKWARD_NAMES } from './keys.js';

/** Registers the presign tests. */
export function presignTests(kit: KitContext): void {
  kit.describe('presign', () => {
    kit.it('presign: a GET URL is fetchable with fetch [presign; else Unsupported]', async (s) => {
      const bytes = randomBytes(20_000);
      await s.backend.write(s.key('get.bin'), bytes);
      if (!s.caps.presign) {
        await rejectsWith(
          s.backend.presign(s.key('get.bin'), { method: 'GET', expiresIn: 60 }),
          'Unsupported',
          'presign GET',
        );
        return;
      }
      const before = Date.now();
      const request = await s.backend.presign(s.key('get.bin'), { method: 'GET', expiresIn: '5m' });
      equal(request.method, 'GET', 'request.method');
      ensure(
        typeof request.url === 'string' && /^https?:\/\//.test(request.url),
        'request.url is an http(s) URL',
      );
      ensure(request.expiresAt instanceof Date, 'request.expiresAt is a Date');
      const lifetime = request.expiresAt.getTime() - before;
      ensure(
        lifetime > 60_000 && lifetime <= 5 * 60_000 + 60_000,
        `expiresAt is about 5 minutes away (${lifetime} ms)`,
      );
      const response = await fetch(request.url, { method: 'GET', headers: request.headers });
      equal(response.status, 200, 'status of the presigned GET');
      sameBytes(new Uint8Array(await response.arrayBuffer()), bytes, 'content of the presigned GET');
    });

    kit.it('presign: a PUT URL uploads with fetch [presign; else Unsupported]', async (s) => {
      const bytes = randomBytes(30_000);
      if (!s.caps.presign) {
        await rejectsWith(
          s.backend.presign(s.key('put.bin'), { method: 'PUT', expiresIn: 60 }),
          'Unsupported',
          'presign PUT',
        );
        return;
      }
      const request = await s.backend.presign(s.key('put.bin'), {
        method: 'PUT',
        expiresIn: 300,
        contentType: 'application/x-stowage-test',
      });
      equal(request.method, 'PUT', 'request.method');
      const headers: Record<string, string> = {
        'content-type': 'application/x-stowage-test',
        ...request.headers,
      };
      const response = await fetch(request.url, { method: 'PUT', headers, body: bytes as BodyInit });
      ensure(
        response.status >= 200 && response.status < 300,
        `status of the presigned PUT is ${response.status}`,
      );
      sameBytes(await s.backend.read(s.key('put.bin')), bytes, 'content uploaded through the presigned PUT');
      if (s.caps.metadata) {
        equal(
          (await s.backend.stat(s.key('put.bin'))).contentType,
          'application/x-stowage-test',
          'content type',
        );
      }
    });

    kit.it(
      "presign: keys with spaces, '+', '%2F', '&' and non-ASCII characters work in GET and PUT URLs [presign]",
      async (s) => {
        for (const name of AWKWARD_NAMES) {
          const key = s.key(`p/${name}`);
          if (!s.caps.presign) {
            await rejectsWith(
              s.backend.presign(key, { method: 'GET', expiresIn: 60 }),
              'Unsupported',
              'presign GET',
            );
            continue;
          }
          const put = await s.backend.presign(key, { method: 'PUT', expiresIn: 60 });
          const body = Buffer.from(`presigned ${name}`);
          const uploaded = await fetch(put.url, { method: 'PUT', headers: put.headers, body });
          ensure(uploaded.ok, `presigned PUT of ${JSON.stringify(name)} answered ${uploaded.status}`);
          sameBytes(
            await s.backend.read(key),
            body,
            `content of ${JSON.stringify(name)} after a presigned PUT`,
          );
          const get = await s.backend.presign(key, { method: 'GET', expiresIn: 60 });
          const downloaded = await fetch(get.url, { headers: get.headers });
          equal(downloaded.status, 200, `status of the presigned GET of ${JSON.stringify(name)}`);
          sameBytes(
            new Uint8Array(await downloaded.arrayBuffer()),
            body,
            `presigned GET of ${JSON.stringify(name)}`,
          );
        }
      },
    );

    kit.it(
      'presign: invalid options (method, expiresIn of 0, over 7 days, unknown option) reject with InvalidArgument',
      async (s) => {
        const bad = [
          { method: 'DELETE', expiresIn: 60 },
          { method: 'GET', expiresIn: 0 },
          { method: 'GET', expiresIn: 8 * 24 * 3600 },
          { method: 'GET', expiresIn: 'soon' },
          { method: 'GET', expiresIn: 60, bogus: true },
        ];
        // Without presign the capability check may come first; both refuse the call.
        const codes = s.caps.presign
          ? (['InvalidArgument'] as const)
          : (['InvalidArgument', 'Unsupported'] as const);
        for (const options of bad) {
          await rejectsWith(
            s.backend.presign(s.key('x'), options as never),
            codes,
            `presign ${JSON.stringify(options)}`,
          );
        }
      },
    );
  });
}
