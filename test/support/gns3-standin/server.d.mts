// Types for the GNS3 stand-in (server.mjs), so TypeScript tests can start it.
export interface Gns3StandinOptions {
  api?: 'v2' | 'v3';
  version?: string;
  port?: number;
  host?: string;
  /** v2: basic auth on when set; v3: the one account (admin/admin by default). */
  user?: string;
  password?: string;
  /** The local compute's Docker images; null = no Docker engine reachable. */
  images?: string[] | null;
  /** How long after a start/stop answer the node changes status (default 30 ms). */
  statusDelayMs?: number;
  /** false: switch creation answers 409 "Could not find Dynamips". */
  dynamips?: boolean;
  /** false: a docker node start answers runc's 409 "unable to apply caps". */
  privilegedContainers?: boolean;
}

export interface Gns3Standin {
  url: string;
  api: 'v2' | 'v3';
  version: string;
  projects: Map<string, { name: string; status: string; nodes: Map<string, unknown>; links: Map<string, unknown>; drawings: Map<string, unknown> }>;
  close(): Promise<void>;
}

export function startGns3Standin(options?: Gns3StandinOptions): Promise<Gns3Standin>;
