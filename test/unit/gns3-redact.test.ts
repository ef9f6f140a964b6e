// The credential scrubber every GNS3 log line, transcript and error passes through.
import { describe, expect, it } from 'vitest';
import { displayUrl, redactText, redactValue } from '../../src/gns3/redact.js';

const JWT = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiIsImV4cCI6MTc5NjI0OTQ2NX0.6n4AvsT3QLjoa42JqnaXqKJVf4jimaLyuNOjcqWIbW0';

describe('redaction of GNS3 credentials', () => {
  it('removes known secrets in every form a request carries them', () => {
    const basic = Buffer.from('lab:s3cret').toString('base64');
    const t = redactText(`pw s3cret, header ${basic}, url-encoded s3cret%21 and s3cret!`, ['s3cret', 's3cret!', 'lab']);
    expect(t).not.toContain('s3cret');
    expect(t).not.toContain(basic);
  });

  it('removes Authorization headers, Basic/Bearer credentials, JWTs, form and query fields, URL passwords', () => {
    const text = [
      'Authorization: Basic bGFiOnMzY3JldA==',
      `authorization: Bearer ${JWT}`,
      `token ${JWT}`,
      'GET /v3/projects?token=abc.def.ghi&x=1',
      'username=admin&password=hunter2',
      '{"username":"admin","password":"hunter2","access_token":"zzz"}',
      'http://lab:hunter2@gns3.example:3080/v2',
    ].join('\n');
    const r = redactText(text);
    expect(r).not.toContain('hunter2');
    expect(r).not.toContain('bGFiOnMzY3JldA');
    expect(r).not.toContain('eyJ');
    expect(r).not.toContain('abc.def.ghi');
    expect(r).not.toContain('zzz');
    expect(r).toContain('username=admin');
    expect(r).toContain('x=1');
  });

  it('keeps the challenge headers, which name no secret', () => {
    expect(redactText('WWW-Authenticate: Basic realm="GNS3 server"')).toBe('WWW-Authenticate: Basic realm="GNS3 server"');
    expect(redactText('www-authenticate: Bearer')).toBe('www-authenticate: Bearer');
  });

  it('redacts secret-named fields of JSON values deeply, and strings inside them', () => {
    const v = redactValue({ username: 'admin', password: 'pw1', nested: [{ access_token: JWT, note: 'has pw1 inside' }], token_type: 'bearer' }, ['pw1']);
    expect(v).toEqual({ username: 'admin', password: '<redacted>', nested: [{ access_token: '<redacted>', note: 'has <redacted> inside' }], token_type: 'bearer' });
  });

  it('shows URLs without userinfo or token', () => {
    expect(displayUrl('http://lab:pw@127.0.0.1:3080/?token=x')).toBe('http://127.0.0.1:3080');
    expect(displayUrl('https://gns3.example:3443')).toBe('https://gns3.example:3443');
  });
});
