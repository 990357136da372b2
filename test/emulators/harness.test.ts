import { expect, it } from 'vitest';
import { describeWithEmulator, emulatorEndpoint } from './env.js';

describeWithEmulator('moto', 'moto harness', (endpoint) => {
  it('answers at the exported endpoint', async () => {
    expect(emulatorEndpoint('moto')).toBe(endpoint);
    const res = await fetch(`${endpoint}/moto-api/`);
    expect(res.status).toBe(200);
  });
});
