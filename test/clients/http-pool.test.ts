import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HttpClientPool } from '../../src/clients/http/pool.ts';

describe('HttpClientPool', () => {
  const endpoint = (host: string) => new URL(`https://${host}:8006/api2/json`);

  it('shares one client per endpoint and TLS setting', () => {
    const pool = new HttpClientPool();
    const a = pool.get({ baseUrl: endpoint('pve1'), verifyTls: true });
    assert.equal(pool.get({ baseUrl: endpoint('pve1'), verifyTls: true }), a);
    assert.notEqual(pool.get({ baseUrl: endpoint('pve1'), verifyTls: false }), a, 'TLS settings never share a connection');
    assert.notEqual(pool.get({ baseUrl: endpoint('pve1'), verifyTls: true, ca: 'PEM' }), a);
    assert.notEqual(pool.get({ baseUrl: endpoint('pve2'), verifyTls: true }), a);
    pool.closeAll();
  });

  it('evicts the least recently used client beyond its size', () => {
    const pool = new HttpClientPool(2);
    const first = pool.get({ baseUrl: endpoint('a'), verifyTls: true });
    const second = pool.get({ baseUrl: endpoint('b'), verifyTls: true });
    assert.equal(pool.get({ baseUrl: endpoint('a'), verifyTls: true }), first, 'a is now the most recent');
    pool.get({ baseUrl: endpoint('c'), verifyTls: true });
    assert.equal(pool.get({ baseUrl: endpoint('a'), verifyTls: true }), first, 'a was kept');
    assert.notEqual(pool.get({ baseUrl: endpoint('b'), verifyTls: true }), second, 'b was evicted (a new client is made)');
    pool.closeAll();
  });
});
