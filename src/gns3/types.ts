// The GNS3 REST API's shapes as real 2.2.59 and 3.0.6 servers answer them, for the fields lvslab reads.

/** `/v2` (GNS3 2.2, HTTP basic auth) or `/v3` (GNS3 3.0, JWT login). */
export type Gns3Api = 'v2' | 'v3';

export interface Gns3Version {
  version: string;
  local?: boolean;
  /** v3 only. */
  controller_host?: string;
}

export interface Gns3Compute {
  compute_id: string;
  name?: string;
  connected?: boolean;
  host?: string;
  port?: number;
  protocol?: string;
}

export type Gns3ProjectStatus = 'opened' | 'closed';

export interface Gns3Project {
  project_id: string;
  name: string;
  status: Gns3ProjectStatus;
  auto_close?: boolean;
  path?: string;
  filename?: string;
}

export type Gns3NodeStatus = 'stopped' | 'started' | 'suspended';

export interface Gns3Port {
  adapter_number: number;
  port_number: number;
  name: string;
  short_name: string;
  link_type: string;
  /** Docker nodes (both versions) and every node in v3 (null there when none). */
  mac_address?: string | null;
}

export interface Gns3Node {
  node_id: string;
  project_id: string;
  compute_id: string;
  name: string;
  node_type: string;
  status: Gns3NodeStatus;
  console: number | null;
  console_type: string | null;
  console_host?: string;
  ports: Gns3Port[];
  properties: Record<string, unknown>;
  x: number;
  y: number;
}

/** One end of a link: docker adapter N is port 0 of adapter N; a switch's ports are adapter 0, port N. */
export interface Gns3LinkEnd {
  node_id: string;
  adapter_number: number;
  port_number: number;
}

/**
 * GNS3's link filters (ubridge's): each acts on each direction. A value of 0 or an empty
 * `{}` clears; `frequency_drop [-1]` drops everything.
 */
export interface Gns3LinkFilters {
  /** Chance in % (0–100) that a frame is lost. */
  packet_loss?: [number];
  /** Latency and jitter in ms (0–32767 each). */
  delay?: [number, number] | [number];
  /** Chance in % (0–100) that a frame is corrupted. */
  corrupt?: [number];
  /** -1 drops everything, N drops every Nth frame, 0 nothing (-1–32767). */
  frequency_drop?: [number];
  /** BPF expressions, one per line: matching frames are dropped. */
  bpf?: [string];
}

export interface Gns3Link {
  link_id: string;
  project_id: string;
  link_type: string;
  nodes: (Gns3LinkEnd & { label?: unknown })[];
  filters: Gns3LinkFilters;
  suspend: boolean;
  capturing: boolean;
  capture_file_name: string | null;
  capture_file_path: string | null;
  capture_compute_id: string | null;
}

export interface Gns3Drawing {
  drawing_id: string;
  project_id: string;
  svg: string;
  x: number;
  y: number;
  z: number;
  locked?: boolean;
  rotation?: number;
}

/** One request and its answer, credentials already redacted: what a transcript records. */
export interface Gns3Exchange {
  method: string;
  /** The path below the server's root, e.g. `/v2/projects`. */
  path: string;
  requestBody?: unknown;
  status: number;
  responseBody: unknown;
  durationMs: number;
}
