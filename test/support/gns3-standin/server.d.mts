// Types for the GNS3 stand-in (server.mjs), so TypeScript tests can start it.
export interface Gns3StandinOptions {
  api?: 'v2' | 'v3';
  version?: string;
  port?: number;
  host?: string;
  /** v2: basic auth on when set; v3: the one account (admin/admin by default). */
  user?: string;
  password?: string;
  /** The local compute's Docker images; null = no Docker engine reachable. Default: lvslab/node:latest, or with containers the engine's own list. */
  images?: string[] | null;
  /** How long after a start/stop answer the node changes status (default 30 ms). */
  statusDelayMs?: number;
  /** false: switch creation answers 409 "Could not find Dynamips". */
  dynamips?: boolean;
  /** false: a docker node start answers runc's 409 "unable to apply caps". */
  privilegedContainers?: boolean;
  /**
   * true: docker nodes are real containers on the Docker engine, wired in a network namespace
   * of the stand-in's own as GNS3 wires them (needs root, ip, nft, nsenter, tcpdump). Default
   * false: bookkeeping only, no Docker engine needed.
   */
  containers?: boolean;
  /** Computes the controller knows besides local (on this same machine and engine): listed, and nodes made on them. */
  extraComputes?: Array<{ compute_id: string; name?: string; host?: string; port?: number; interfaces?: Gns3StandinInterface[] }>;
  /** The local compute's interfaces, for a link between computes (default: this machine's). */
  localInterfaces?: Gns3StandinInterface[];
}

/** An interface as a compute's GET /network/interfaces lists it (the fields the controller's subnet match reads). */
export interface Gns3StandinInterface {
  ip_address: string;
  netmask: string;
}

export interface Gns3Standin {
  url: string;
  api: 'v2' | 'v3';
  version: string;
  projects: Map<string, { name: string; status: string; nodes: Map<string, unknown>; links: Map<string, unknown>; drawings: Map<string, unknown> }>;
  /** The requests served past authentication, in order: method, path (no query) and JSON body; login bodies are never kept. */
  requests: Array<{ method: string; path: string; body: unknown }>;
  /**
   * The filters a link's compute holds (what its ubridge applies; with containers, what the
   * nft rules drop). On 3.0.6 they can differ from the link JSON's filters: its compute
   * ignores an empty filter list. undefined for an unknown link or one without a filter node.
   */
  computeFilters(projectId: string, linkId: string): Record<string, Array<number | string>> | undefined;
  /** Whether docker nodes are real containers (the containers option). */
  containers: boolean;
  /** With containers: the stand-in's data directory, a temp dir that close() removes. */
  dataDir: string | undefined;
  /** With containers: the stand-in's network namespace (gns3sb-<6 hex>) once made; undefined before and after close(). */
  readonly namespace: string | undefined;
  /** With containers: whether the kernel has sch_netem (delay, corrupt); undefined until the namespace exists. */
  readonly netem: boolean | undefined;
  /** With containers: link_id -> stored filters the stand-in does not apply (bpf; delay/corrupt without sch_netem). */
  unappliedFilters: Map<string, string[]>;
  /** Stops the server; with containers also removes every container, the namespace and the temp dirs. */
  close(): Promise<void>;
}

export function startGns3Standin(options?: Gns3StandinOptions): Promise<Gns3Standin>;
