// nginx 1.22 configuration for a real server, and the format of its access log.
//
// Every file nginx touches lives under the node's paths (nothing under /var: Debian's nginx
// is built with --error-log-path=stderr, and every temp path it would default to under
// /var/lib/nginx is overridden here). Every response is a short text naming the server plus
// an X-Real-Server header, so a client can tell who answered without parsing HTML.
//
// Pure: the same (lab, node, paths) always gives the same bytes. Validated in the tests
// with `nginx -t -c`, and by serving requests in a throwaway namespace.
import type { NodePaths, ResolvedLab, ResolvedNode } from '../model/types.js';

/** Files and directories nginx uses for a node (the parent directories must exist). */
export interface NginxFiles {
  pid: string;
  errorLog: string;
  accessLog: string;
  /** Temp directories nginx creates itself at start (their parent, paths.run, must exist). */
  tempDirs: string[];
}

export function nginxFiles(paths: NodePaths): NginxFiles {
  return {
    pid: `${paths.run}/nginx.pid`,
    errorLog: `${paths.log}/nginx-error.log`,
    accessLog: `${paths.log}/nginx-access.log`,
    tempDirs: ['client-body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${paths.run}/nginx-${t}`),
  };
}

// ---------------------------------------------------------------------------
// Access log
// ---------------------------------------------------------------------------

/** Name of the log_format below. */
export const ACCESS_LOG_FORMAT_NAME = 'lvslab';

/**
 * One line per request, fields separated by one space, the request line last and quoted
 * (nginx escapes a '"' inside it as \x22, so the line always ends with the closing quote):
 *
 *   <msec> <client addr>:<client port> <server addr>:<server port> <status> "<request line>"
 *   1700000000.123 10.0.1.132:51234 10.0.1.100:80 200 "GET / HTTP/1.1"
 *
 * msec is the Unix time in seconds with millisecond resolution when the line was written;
 * the server address is the address the request arrived on (the VIP in DR mode).
 */
export const ACCESS_LOG_FORMAT =
  '$msec $remote_addr:$remote_port $server_addr:$server_port $status "$request"';

/** The fields of one access-log line, in order, as parseAccessLogLine names them. */
export const ACCESS_LOG_FIELDS = [
  'timeMs',
  'clientAddress',
  'clientPort',
  'serverAddress',
  'serverPort',
  'status',
  'request',
] as const;

export interface AccessLogEntry {
  /** Milliseconds since the Unix epoch. */
  timeMs: number;
  clientAddress: string;
  clientPort: number;
  serverAddress: string;
  serverPort: number;
  status: number;
  request: string;
}

const ACCESS_LOG_LINE = /^(\d+)\.(\d{3}) (\S+):(\d+) (\S+):(\d+) (\d{3}) "(.*)"$/;

/** Parses one line written with ACCESS_LOG_FORMAT; undefined when it is not one. */
export function parseAccessLogLine(line: string): AccessLogEntry | undefined {
  const m = ACCESS_LOG_LINE.exec(line.trimEnd());
  if (!m) return undefined;
  const [, seconds, millis, clientAddress, clientPort, serverAddress, serverPort, status, request] = m;
  return {
    timeMs: Number(seconds) * 1000 + Number(millis),
    clientAddress: clientAddress!,
    clientPort: Number(clientPort),
    serverAddress: serverAddress!,
    serverPort: Number(serverPort),
    status: Number(status),
    request: request!,
  };
}

// ---------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------

/** The body of every response from `node` (what a client sees). */
export function responseText(node: ResolvedNode): string {
  return `served-by ${safeName(node.name)}\n`;
}

/** Header naming the real server on every response. */
export const REAL_SERVER_HEADER = 'X-Real-Server';

/**
 * TCP ports `node` must listen on: the real-server port of every service it serves.
 * UDP services are left out (nginx's http module cannot answer them).
 */
export function servedPorts(lab: ResolvedLab, node: ResolvedNode): number[] {
  const ports = new Set<number>();
  for (const name of node.serves) {
    const service = lab.services.find((s) => s.name === name);
    if (!service) throw new Error(`node ${node.name} serves unknown service ${name}`);
    if (service.protocol !== 'tcp') continue;
    for (const rs of service.realServers) if (rs.node === node.name) ports.add(rs.port);
  }
  return [...ports].sort((a, b) => a - b);
}

/**
 * The nginx.conf of `node`, or the empty string when it serves no TCP service (do not
 * start nginx there).
 * The master runs as root in the node, as do the workers: the node is a throwaway lab
 * namespace and its directories may be private to root.
 */
export function renderNginxConf(lab: ResolvedLab, node: ResolvedNode, paths: NodePaths): string {
  const ports = servedPorts(lab, node);
  if (ports.length === 0) return '';
  const files = nginxFiles(paths);
  const [clientBody, proxy, fastcgi, uwsgi, scgi] = files.tempDirs;
  const name = safeName(node.name);

  const lines = [
    `# Generated by lvslab for node ${node.name} of lab ${lab.name} (instance ${lab.instance}). Do not edit.`,
    '#',
    '# Access log format (one line per request, space separated, request line last and quoted):',
    '#   <msec> <client addr>:<client port> <server addr>:<server port> <status> "<request line>"',
    '# src/render/nginx.ts parseAccessLogLine() reads it back.',
    'daemon on;',
    'master_process on;',
    'worker_processes 1;',
    'user root;',
    `pid ${files.pid};`,
    `lock_file ${paths.run}/nginx.lock;`,
    `error_log ${files.errorLog} notice;`,
    '',
    'events {',
    '    worker_connections 1024;',
    '}',
    '',
    'http {',
    `    client_body_temp_path ${clientBody};`,
    `    proxy_temp_path ${proxy};`,
    `    fastcgi_temp_path ${fastcgi};`,
    `    uwsgi_temp_path ${uwsgi};`,
    `    scgi_temp_path ${scgi};`,
    '',
    `    log_format ${ACCESS_LOG_FORMAT_NAME} '${ACCESS_LOG_FORMAT}';`,
    `    access_log ${files.accessLog} ${ACCESS_LOG_FORMAT_NAME};`,
    '',
    // Experiments hold keep-alive connections for up to 600 s with a heartbeat as often as
    // every 10 ms: nginx must never be the one to close them (its defaults would after
    // 1000 requests), or a "break" would be nginx's doing, not the experiment's.
    '    keepalive_requests 1000000;',
    '    keepalive_timeout 75s;',
    '    keepalive_time 1h;',
    '',
    '    server {',
    // No address: listen on every address, the VIP on lo included.
    ...ports.map((port) => `        listen ${port};`),
    '        default_type text/plain;',
    `        add_header ${REAL_SERVER_HEADER} ${name} always;`,
    '        location / {',
    `            return 200 "${responseText(node).replace('\n', '\\n')}";`,
    '        }',
    '    }',
    '}',
  ];
  return lines.join('\n') + '\n';
}

/** Node names go into quoted strings and headers: refuse anything nginx would interpret. */
function safeName(name: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`node name ${JSON.stringify(name)} cannot be written into nginx.conf`);
  return name;
}
