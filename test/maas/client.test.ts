import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeErrorBody, maasApiBaseUrl, maasMachineUiUrl, parseMaasApiKey, parseMaasEndpoint } from '../../src/clients/maas/index.ts';
import { encodeMultipart } from '../../src/clients/maas/form.ts';

describe('MAAS client building blocks', () => {
  it('accepts an endpoint as bare host, host:port or URL, with or without /MAAS', () => {
    const cases: Array<[string, string]> = [
      ['maas.example.test', 'http://maas.example.test:5240/MAAS/api/2.0'],
      ['maas.example.test:8080', 'http://maas.example.test:8080/MAAS/api/2.0'],
      ['http://10.0.0.5:5240/MAAS', 'http://10.0.0.5:5240/MAAS/api/2.0'],
      ['http://10.0.0.5:5240/MAAS/', 'http://10.0.0.5:5240/MAAS/api/2.0'],
      ['http://10.0.0.5:5240/MAAS/api/2.0/', 'http://10.0.0.5:5240/MAAS/api/2.0'],
      ['https://maas.example.test:5443', 'https://maas.example.test:5443/MAAS/api/2.0'],
      ['https://proxy.example.test/region-a/MAAS', 'https://proxy.example.test:5240/region-a/MAAS/api/2.0'],
      ['[2001:db8::5]:5240', 'http://[2001:db8::5]:5240/MAAS/api/2.0'],
    ];
    for (const [raw, expected] of cases) assert.equal(maasApiBaseUrl(parseMaasEndpoint(raw)).href, expected, raw);
    assert.equal(maasMachineUiUrl(parseMaasEndpoint('maas.example.test'), 'abc123'), 'http://maas.example.test:5240/MAAS/r/machine/abc123/summary');
    assert.throws(() => parseMaasEndpoint(''), /empty/);
    assert.throws(() => parseMaasEndpoint('ftp://maas'), /only http and https/);
  });

  it('splits an API key into consumer, token and secret, rejecting other shapes without echoing them', () => {
    assert.deepEqual(parseMaasApiKey(' ck:tk:ts '), { consumerKey: 'ck', tokenKey: 'tk', tokenSecret: 'ts' });
    for (const bad of ['', 'a:b', 'a:b:c:d', ':b:c', 'a:b:', 'a b:c:d']) {
      assert.throws(() => parseMaasApiKey(bad), (error: Error) => error.message === 'Invalid apikey format. Expected consumer:token:secret', bad);
    }
  });

  it('turns plain-text, JSON and HTML error bodies into one readable line', () => {
    const text = Buffer.from('No Machine matches the given query.');
    assert.equal(describeErrorBody(404, 'Not Found', 'text/plain; charset=utf-8', text), 'No Machine matches the given query.');
    const json = Buffer.from(JSON.stringify({ distro_series: ["'bogus' is not a valid distro_series."], __all__: ['Bad form.'] }));
    assert.equal(describeErrorBody(400, 'Bad Request', 'application/json', json), "distro_series: 'bogus' is not a valid distro_series.; Bad form.");
    assert.equal(describeErrorBody(502, 'Bad Gateway', 'text/html', Buffer.from('<html><body><h1>502 Bad Gateway</h1></body></html>')), '502 Bad Gateway');
    assert.equal(describeErrorBody(403, 'Forbidden', 'text/plain', Buffer.alloc(0)), 'Forbidden');
    assert.ok(describeErrorBody(500, '', 'text/plain', Buffer.from('x'.repeat(2000))).length <= 501);
  });

  it('encodes repeated parameters as separate multipart parts', () => {
    const { contentType, body } = encodeMultipart([
      ['tags', 'gpu'],
      ['tags', 'ssd'],
      ['comment', 'a "quoted"\r\nline'],
    ]);
    const boundary = /boundary=(.+)$/.exec(contentType)![1]!;
    const text = body.toString('utf8');
    assert.equal(text.split(`--${boundary}\r\n`).length - 1, 3);
    assert.ok(text.endsWith(`--${boundary}--\r\n`));
    assert.match(text, /name="tags"\r\n\r\ngpu\r\n/);
    assert.match(text, /name="comment"\r\n\r\na "quoted"\r\nline\r\n/);
  });
});
