// The incremental HTTP response reader: whole answers, answers cut at every byte, the
// three ways a body ends, and the malformed answers that must become errors.
import { describe, expect, it } from 'vitest';
import { MAX_HEAD_BYTES, ResponseParser } from '../../src/traffic/http-response.js';
import { hostHeader, keepAliveRequest, oneShotRequest } from '../../src/traffic/http-request.js';

// What nginx 1.22 sends for `return 200 "served-by rs1\n"` with add_header X-Real-Server.
const NGINX_OK =
  'HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Sat, 21 Nov 2026 11:00:00 GMT\r\nContent-Type: text/plain\r\n' +
  'Content-Length: 14\r\nConnection: close\r\nX-Real-Server: rs1\r\n\r\nserved-by rs1\n';

function feedWhole(text: string): ResponseParser {
  const p = new ResponseParser();
  p.push(Buffer.from(text, 'latin1'));
  return p;
}

describe('ResponseParser', () => {
  it('reads status, headers and the end of a Content-Length body', () => {
    const p = feedWhole(NGINX_OK);
    expect(p.state).toBe('complete');
    expect(p.head?.status).toBe(200);
    expect(p.head?.version).toBe('1.1');
    expect(p.header('X-Real-Server')).toBe('rs1');
    expect(p.head?.keepAlive).toBe(false);
    expect(p.excessBytes).toBe(0);
  });

  it('gives the same answer whatever the split of the bytes', () => {
    const bytes = Buffer.from(NGINX_OK, 'latin1');
    for (let cut = 1; cut < bytes.length; cut++) {
      const p = new ResponseParser();
      p.push(bytes.subarray(0, cut));
      expect(p.state, `cut at ${cut}`).not.toBe('complete');
      p.push(bytes.subarray(cut));
      expect(p.state, `cut at ${cut}`).toBe('complete');
      expect(p.header('x-real-server')).toBe('rs1');
    }
    // One byte at a time.
    const p = new ResponseParser();
    for (const b of bytes) p.push(Buffer.from([b]));
    expect(p.state).toBe('complete');
  });

  it('waits for the whole body', () => {
    const p = feedWhole('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345');
    expect(p.state).toBe('body');
    p.push(Buffer.from('67890'));
    expect(p.state).toBe('complete');
  });

  it('counts bytes after the end of the response', () => {
    const p = feedWhole('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA');
    expect(p.state).toBe('complete');
    expect(p.excessBytes).toBe(5);
  });

  it('keep-alive: HTTP/1.1 by default, HTTP/1.0 only when asked, never without a length', () => {
    expect(feedWhole('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n').head?.keepAlive).toBe(true);
    expect(feedWhole('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n').head?.keepAlive).toBe(false);
    expect(feedWhole('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n').head?.keepAlive).toBe(false);
    expect(feedWhole('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n').head?.keepAlive).toBe(true);
    expect(feedWhole('HTTP/1.1 200 OK\r\n\r\nbody').head?.keepAlive).toBe(false);
  });

  it('a body without a length ends with the connection', () => {
    const p = feedWhole('HTTP/1.0 200 OK\r\nX-Real-Server: a\r\n\r\nsome body');
    expect(p.state).toBe('body');
    expect(p.end()).toBe('complete');
  });

  it('a close before the full response is an error', () => {
    const cutHead = feedWhole('HTTP/1.1 200 OK\r\nContent-Le');
    expect(cutHead.end()).toBe('error');
    expect(cutHead.error).toMatch(/closed before a full response/);
    const cutBody = feedWhole('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n123');
    expect(cutBody.end()).toBe('error');
    expect(cutBody.head?.status).toBe(200);
    expect(new ResponseParser().end()).toBe('error');
  });

  it('reads chunked bodies, with extensions and trailers, split anywhere', () => {
    const text = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Real-Server: b\r\n\r\n5\r\nhello\r\na;ext=1\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n';
    const bytes = Buffer.from(text, 'latin1');
    for (let cut = 1; cut < bytes.length; cut++) {
      const p = new ResponseParser();
      p.push(bytes.subarray(0, cut));
      expect(p.state, `cut at ${cut}`).not.toBe('complete');
      p.push(bytes.subarray(cut));
      expect(p.state, `cut at ${cut}`).toBe('complete');
      expect(p.head?.keepAlive).toBe(true);
    }
    expect(feedWhole('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n').state).toBe('error');
  });

  it('a status without a body (204, 304) is complete at the end of the head', () => {
    expect(feedWhole('HTTP/1.1 204 No Content\r\n\r\n').state).toBe('complete');
    expect(feedWhole('HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n').state).toBe('complete');
  });

  it('refuses what is not HTTP', () => {
    expect(feedWhole('SSH-2.0-OpenSSH_9.2\r\n\r\n').state).toBe('error');
    expect(feedWhole('HTTP/1.1 2000 OK\r\n\r\n').state).toBe('error');
    expect(feedWhole('HTTP/1.1 200 OK\r\nno colon here\r\n\r\n').state).toBe('error');
    expect(feedWhole('HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n').state).toBe('error');
    const huge = new ResponseParser();
    huge.push(Buffer.from('HTTP/1.1 200 OK\r\nX-Big: ' + 'a'.repeat(MAX_HEAD_BYTES)));
    expect(huge.state).toBe('error');
  });

  it('reads a 503 as a complete answer with its status', () => {
    const p = feedWhole('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nX-Real-Server: rs2\r\n\r\n');
    expect(p.state).toBe('complete');
    expect(p.head?.status).toBe(503);
  });

  it('reset() reads the next response of a keep-alive connection', () => {
    const answer = (server: string): string => `HTTP/1.1 200 OK\r\nContent-Length: 1\r\nX-Real-Server: ${server}\r\n\r\nx`;
    const p = feedWhole(answer('a'));
    expect(p.state).toBe('complete');
    p.reset();
    expect(p.state).toBe('head');
    expect(p.head).toBeUndefined();
    p.push(Buffer.from(answer('b')));
    expect(p.header('x-real-server')).toBe('b');
  });
});

describe('request bytes', () => {
  const target = { host: '10.0.1.100', port: 80, path: '/' };
  it('one-shot requests are HTTP/1.0 with Connection: close', () => {
    expect(oneShotRequest(target).toString()).toBe('GET / HTTP/1.0\r\nHost: 10.0.1.100\r\nUser-Agent: lvslab-traffic\r\nConnection: close\r\n\r\n');
  });
  it('heartbeats are HTTP/1.1 without Connection: close', () => {
    const text = keepAliveRequest({ ...target, path: '/hb' }).toString();
    expect(text.startsWith('GET /hb HTTP/1.1\r\n')).toBe(true);
    expect(text).not.toMatch(/close/i);
    expect(text.endsWith('\r\n\r\n')).toBe(true);
  });
  it('Host carries the port when it is not 80 and brackets IPv6', () => {
    expect(hostHeader({ host: '10.0.0.1', port: 8080, path: '/' })).toBe('10.0.0.1:8080');
    expect(hostHeader({ host: 'fd00::1', port: 80, path: '/' })).toBe('[fd00::1]');
  });
});
