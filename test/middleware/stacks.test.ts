/**
 * The stacking orders docs/middleware.md recommends, against the wrong ones.
 * `layer(b, m1, m2)` = m1(m2(b)): a call passes m1 first.
 */
import { describe, expect, it } from 'vitest';
import { memory } from '../../src/backends/memory/index.js';
import type { ObjectInfo, StatOptions } from '../../src/core/backend.js';
import { StorageError } from '../../src/core/errors.js';
import { ForwardingBackend, layer } from '../../src/core/layer.js';
import { type ObserveEvent, observe } from '../../src/middleware/observe.js';
import { retry } from '../../src/middleware/retry.js';
import { throttle } from '../../src/middleware/throttle.js';
import { timeout } from '../../src/middleware/timeout.js';

const fast = { minDelay: 0, maxDelay: 0, budget: false } as const;

/** The first stat hangs (a lost connection); later ones answer. */
class FirstCallHangs extends ForwardingBackend {
  calls = 0;
  override stat(key: string, o?: StatOptions): Promise<ObjectInfo> {
    if (++this.calls === 1) return new Promise(() => {});
    return super.stat(key, o);
  }
}

/** Fails the first two stats with Unavailable. */
class TwoFailures extends ForwardingBackend {
  calls = 0;
  override async stat(key: string, o?: StatOptions): Promise<ObjectInfo> {
    if (++this.calls <= 2) throw new StorageError('Unavailable', 'blip');
    return super.stat(key, o);
  }
}

describe('stacking order', () => {
  it('right: retry outside timeout gives each attempt its own deadline, so a hung attempt is retried', async () => {
    const inner = new FirstCallHangs(memory());
    await inner.write('k', 'x');
    const info = await layer(inner, retry(fast), timeout({ ms: 30 })).stat('k');
    expect(info.size).toBe(1);
    expect(inner.calls).toBe(2);
  });

  it('wrong: timeout outside retry spends the one deadline on the hung attempt and never retries', async () => {
    const inner = new FirstCallHangs(memory());
    await inner.write('k', 'x');
    await expect(layer(inner, timeout({ ms: 30 }), retry(fast)).stat('k')).rejects.toMatchObject({
      code: 'Timeout',
    });
    expect(inner.calls).toBe(1);
  });

  it('observe outermost measures what the caller saw; innermost, each attempt the service saw', async () => {
    const outer: ObserveEvent[] = [];
    const innerEvents: ObserveEvent[] = [];
    const inner = new TwoFailures(memory());
    await inner.write('k', 'x');
    const storage = layer(
      inner,
      observe({ onEvent: (e) => outer.push(e) }),
      retry(fast),
      observe({ onEvent: (e) => innerEvents.push(e) }),
    );
    await storage.stat('k');
    expect(outer.map((e) => e.ok)).toEqual([true]);
    expect(innerEvents.map((e) => e.code ?? 'ok')).toEqual(['Unavailable', 'Unavailable', 'ok']);
  });

  it('throttle inside retry paces every attempt (protects the service); outside, only the first', async () => {
    const run = async (order: 'inside' | 'outside') => {
      let now = 0;
      let slept = 0;
      const clock = {
        now: () => now,
        sleep: async (ms: number) => {
          slept += ms;
          now += ms;
        },
      };
      const inner = new TwoFailures(memory());
      await inner.write('k', 'x');
      const limit = throttle({ opsPerSecond: 5, clock });
      const storage =
        order === 'inside' ? layer(inner, retry(fast), limit) : layer(inner, limit, retry(fast));
      await storage.stat('k');
      return slept;
    };
    expect(await run('inside')).toBeCloseTo(400, 6);
    expect(await run('outside')).toBe(0);
  });
});
