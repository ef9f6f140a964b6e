// Names and labels of what the Docker runtime creates. Containers and networks carry the
// instance in a label, so `down` (and `down --all`) find exactly the lab's objects with
// nothing but the engine's own view — also after lvslab crashed or was killed mid-`up`.
// Names use '.' as the separator, which instance, node and network names cannot contain
// (src/model/names.ts), so they never collide between instances.

export const LABEL_INSTANCE = 'io.lvslab.instance';
export const LABEL_NODE = 'io.lvslab.node';
/** On networks: the lab segment or point-to-point link the network carries. */
export const LABEL_NETWORK = 'io.lvslab.network';

export function containerName(instance: string, node: string): string {
  return `lvslab.${instance}.${node}`;
}

export function networkName(instance: string, segmentOrLink: string): string {
  return `lvslab.${instance}.${segmentOrLink}`;
}

/** The engine's filter for everything of one instance (or of every instance). */
export function instanceFilter(instance?: string): { label: string[] } {
  return { label: [instance === undefined ? LABEL_INSTANCE : `${LABEL_INSTANCE}=${instance}`] };
}
