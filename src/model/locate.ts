// Turns a field path (['nodes', 'lb1', 'interfaces', 0, 'address']) into the line and
// column of that field in the YAML source, so every problem points at what to edit.
import { Document, isAlias, isMap, isPair, isScalar, isSeq, LineCounter, type Node, type Pair, type YAMLMap } from 'yaml';
import type { PathSegment } from './problems.js';

export interface Position {
  line: number;
  column: number;
}

interface Found {
  /** The node at the path (undefined when the path leads nowhere). */
  value?: Node | null;
  /** The key introducing it, when it is a mapping entry. */
  key?: Node;
  /** How many path segments were matched. */
  depth: number;
  /** Last node matched along the way, and its key. */
  deepest?: { value?: Node | null; key?: Node };
}

export class SourceLocator {
  /** Each mapping's keys, indexed on first use: a file with 400,000 problems locates each in O(depth), not O(keys). */
  private readonly keyIndex = new WeakMap<YAMLMap, Map<string, Pair>>();

  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** For a file that could not be parsed at all: every path points at 1:1. */
  static empty(): SourceLocator {
    return new SourceLocator(new Document(), new LineCounter());
  }

  private pairOf(map: YAMLMap, key: string): Pair | undefined {
    let index = this.keyIndex.get(map);
    if (!index) {
      index = new Map();
      for (const p of map.items) {
        // The first of duplicate keys wins, as a linear search would find it.
        if (isPair(p) && isScalar(p.key) && !index.has(String(p.key.value))) index.set(String(p.key.value), p as Pair);
      }
      this.keyIndex.set(map, index);
    }
    return index.get(key);
  }

  private resolve(node: unknown): Node | null | undefined {
    if (isAlias(node)) return node.resolve(this.doc) as Node | undefined;
    return node as Node | null | undefined;
  }

  private find(path: readonly PathSegment[]): Found {
    let value = this.resolve(this.doc.contents);
    let key: Node | undefined;
    let depth = 0;
    for (const seg of path) {
      let next: { value: Node | null | undefined; key?: Node } | undefined;
      if (isMap(value)) {
        const pair = this.pairOf(value, String(seg));
        if (pair) next = { value: this.resolve(pair.value), key: pair.key as Node };
      } else if (isSeq(value) && typeof seg === 'number') {
        const item = value.items[seg];
        if (item !== undefined) next = { value: this.resolve(item) };
      }
      if (!next) return { depth, deepest: { value, key } };
      value = next.value;
      key = next.key;
      depth++;
    }
    return { value, key, depth };
  }

  private positionOf(node: Node | null | undefined): Position | undefined {
    const offset = node?.range?.[0];
    if (offset === undefined) return undefined;
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col };
  }

  /**
   * Where to point for a field: `key` points at the key itself, `parent` at the mapping
   * that holds (or should hold) the field, `value` at the value, or at its key when the
   * value is a collection or empty (a mapping's first key is a poor place to point).
   */
  locate(path: readonly PathSegment[], at: 'value' | 'key' | 'parent' = 'value'): Position {
    if (at === 'parent') return this.locate(path.slice(0, -1), 'value');
    const found = this.find(path);
    if (found.depth < path.length) {
      // The field is not in the source (a default, or a missing key): point at the closest ancestor.
      const d = found.deepest;
      return this.positionOf(d?.key ?? d?.value) ?? { line: 1, column: 1 };
    }
    const { value, key } = found;
    const emptyValue = value === null || value === undefined || (isScalar(value) && value.value === null);
    const collection = isMap(value) || isSeq(value);
    const preferKey = at === 'key' || emptyValue || collection;
    return (preferKey ? this.positionOf(key) : undefined) ?? this.positionOf(value) ?? this.positionOf(key) ?? { line: 1, column: 1 };
  }
}
