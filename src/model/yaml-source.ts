// Parsing a YAML file while keeping positions: shared by lab and experiment files, so both
// report problems as FILE:LINE:COLUMN with the same wording. The format's input limits
// (size, nesting depth, alias expansion) are enforced here, before anything recursive
// touches the document, and every step is linear in the size of the text.
import { Composer, isAlias, isMap, isPair, isScalar, isSeq, LineCounter, Parser, type Document, type Node } from 'yaml';
import type { CST } from 'yaml';
import { SourceLocator } from './locate.js';
import { fieldOf, type LabIssue, type Problem } from './problems.js';

/**
 * Limits that are part of the lab and experiment file format. A lab file is a few kB and
 * nests 7 levels deep; the limits are far above any real file and low enough that the
 * largest accepted file is still validated in seconds.
 */
export const INPUT_LIMITS = {
  /**
   * Bytes of one file. A lab at the schema's count limits (1,000 nodes, 1,000 segments and
   * links) written out in full is a few hundred kB; parsing YAML costs about 1.5 s of CPU
   * per MB, so 1 MiB keeps the largest file answered in a few seconds.
   */
  maxBytes: 1024 * 1024,
  /** Mappings and lists nested inside each other (the top-level mapping is level 1). */
  maxDepth: 32,
  /** Values added by resolving aliases (`*name`), in total: bounds the expanded document. */
  maxAliasExpansion: 100_000,
} as const;

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}

export interface ParsedYaml {
  /** The document as plain data (undefined when it could not be parsed). */
  data: unknown;
  locator: SourceLocator;
  /** YAML syntax errors and warnings; with an error the structure cannot be trusted. */
  problems: Problem[];
  fatal: boolean;
}

/** The problem for a file larger than the format allows (no parsing attempted). */
export function tooLargeProblem(file: string, bytes: number): Problem {
  return {
    file,
    line: 1,
    column: 1,
    field: '',
    message: `the file is ${formatBytes(bytes)}, larger than the ${formatBytes(INPUT_LIMITS.maxBytes)} limit of the format`,
    accepted: `a file of at most ${formatBytes(INPUT_LIMITS.maxBytes)}`,
    severity: 'error',
  };
}

type Token = CST.Token;
type CollectionToken = Extract<Token, { type: 'block-map' | 'block-seq' | 'flow-collection' }>;

/**
 * Offset of the first collection nested deeper than the limit, or undefined. Walks the
 * CST with an explicit stack: the parser is iterative, but composing a document recurses
 * once per level, so a 5,000-level list would overflow the stack there.
 */
function tooDeepAt(tokens: Token[]): number | undefined {
  const stack: { token: Token | null | undefined; depth: number }[] = tokens.map((token) => ({ token, depth: 0 }));
  while (stack.length > 0) {
    const { token, depth } = stack.pop()!;
    if (!token) continue;
    if (token.type === 'document') {
      stack.push({ token: token.value, depth });
      continue;
    }
    if (token.type === 'block-scalar') continue;
    if (token.type !== 'block-map' && token.type !== 'block-seq' && token.type !== 'flow-collection') continue;
    const here = depth + 1;
    if (here > INPUT_LIMITS.maxDepth) return token.offset;
    for (const item of (token as CollectionToken).items) {
      if ('key' in item) stack.push({ token: item.key, depth: here });
      stack.push({ token: item.value, depth: here });
    }
  }
  return undefined;
}

interface StructureProblem {
  node: Node;
  message: string;
  accepted?: string;
}

/**
 * One pass over the composed document (at most maxDepth deep, so recursion is safe):
 * duplicate keys (the YAML library's own check compares every pair of keys, quadratic in
 * a mapping's size), undefined aliases, aliases that contain themselves, and the total
 * expansion of aliases, counted with each anchored node's size computed once.
 */
function checkStructure(doc: Document): StructureProblem[] {
  const out: StructureProblem[] = [];
  const sizes = new Map<Node, number>();
  const open = new Set<Node>();
  let expanded = 0;
  let overLimit = false;
  const size = (node: unknown): number => {
    if (node === null || node === undefined) return 0;
    if (isAlias(node)) {
      const target = node.resolve(doc) as Node | undefined;
      if (!target) {
        out.push({ node, message: `alias *${node.source} refers to no anchor`, accepted: `an anchor &${node.source} defined earlier in the file` });
        return 1;
      }
      if (open.has(target)) {
        out.push({ node, message: `alias *${node.source} is inside the value it refers to (a cycle)`, accepted: 'an alias of a value that does not contain it' });
        return 1;
      }
      const n = size(target);
      expanded += n;
      if (expanded > INPUT_LIMITS.maxAliasExpansion && !overLimit) {
        overLimit = true;
        out.push({
          node,
          message: `aliases expand to more than ${INPUT_LIMITS.maxAliasExpansion.toLocaleString('en-US')} values (the format's limit)`,
          accepted: `aliases that together add at most ${INPUT_LIMITS.maxAliasExpansion.toLocaleString('en-US')} values`,
        });
      }
      return n;
    }
    // Only anchored nodes can be an alias's target: they alone are memoized and watched for cycles.
    const anchored = (node as Node).anchor !== undefined;
    if (anchored) {
      const known = sizes.get(node as Node);
      if (known !== undefined) return known;
      open.add(node as Node);
    }
    let n = 1;
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        if (isScalar(pair.key)) {
          const k = String(pair.key.value);
          if (seen.has(k)) out.push({ node: pair.key as Node, message: 'YAML: Map keys must be unique', accepted: `one '${k}' key in this mapping` });
          seen.add(k);
        }
        n += size(pair.key) + size(pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) n += size(item);
    }
    if (anchored) {
      open.delete(node as Node);
      sizes.set(node as Node, n);
    }
    return n;
  };
  size(doc.contents);
  return out;
}

/**
 * The document as plain data. Mappings become objects with no prototype, so a name such
 * as `constructor` or `__proto__` is an ordinary key everywhere a check looks it up.
 * Each anchored value is converted once and shared by its aliases (as the YAML library
 * does); checkStructure has ruled out cycles and bounded the expansion.
 */
function toPlain(doc: Document): unknown {
  const done = new Map<Node, unknown>();
  const convert = (node: unknown): unknown => {
    if (node === null || node === undefined) return null;
    if (isAlias(node)) return convert(node.resolve(doc));
    const anchored = (node as Node).anchor !== undefined;
    if (anchored && done.has(node as Node)) return done.get(node as Node);
    let out: unknown;
    if (isScalar(node)) out = node.value;
    else if (isMap(node)) {
      const obj = Object.create(null) as Record<string, unknown>;
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = convert(pair.key);
        const name = key === null ? '' : typeof key === 'object' ? JSON.stringify(key) : String(key);
        obj[name] = convert(pair.value);
      }
      out = obj;
    } else if (isSeq(node)) out = node.items.map(convert);
    else out = null;
    if (anchored) done.set(node as Node, out);
    return out;
  };
  return doc.contents === null ? null : convert(doc.contents);
}

export function parseYamlWithPositions(text: string, file: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const problem = (offset: number, message: string, accepted?: string, severity: Problem['severity'] = 'error'): Problem => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col, field: '', message, ...(accepted ? { accepted } : {}), severity };
  };
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > INPUT_LIMITS.maxBytes) {
    return { data: undefined, locator: SourceLocator.empty(), problems: [tooLargeProblem(file, bytes)], fatal: true };
  }
  let tokens: Token[] = [...new Parser(lineCounter.addNewLine).parse(text)];
  const deep = tooDeepAt(tokens);
  if (deep !== undefined) {
    const limit = INPUT_LIMITS.maxDepth;
    const p = problem(deep, `nested more than ${limit} levels deep (the format's limit)`, `at most ${limit} levels of mappings and lists inside each other`);
    return { data: undefined, locator: SourceLocator.empty(), problems: [p], fatal: true };
  }
  // uniqueKeys off: checkStructure finds duplicate keys in linear time.
  const composer = new Composer({ prettyErrors: false, uniqueKeys: false });
  let doc: Document | undefined;
  const extra: Problem[] = [];
  for (const d of composer.compose(tokens, true, text.length)) {
    if (!doc) doc = d;
    else {
      extra.push(problem(d.range[0], 'YAML: the file holds more than one document', 'one YAML document (no second ---)'));
      break;
    }
  }
  // The CST of a 4 MB file is hundreds of MB: let it go before the document is converted.
  tokens = [];
  const parsed = doc!;
  const problems: Problem[] = [];
  const all = [...parsed.errors.map((e) => ({ e, severity: 'error' as const })), ...parsed.warnings.map((e) => ({ e, severity: 'warning' as const }))];
  for (const { e, severity } of all) {
    problems.push(problem(e.pos[0], `YAML: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`, undefined, severity));
  }
  problems.push(...extra);
  const locator = new SourceLocator(parsed, lineCounter);
  if (parsed.errors.length === 0 && extra.length === 0) {
    for (const s of checkStructure(parsed)) problems.push(problem(s.node.range?.[0] ?? 0, s.message, s.accepted));
  }
  const fatal = problems.some((p) => p.severity === 'error');
  return { data: fatal ? undefined : toPlain(parsed), locator, problems, fatal };
}

/** Places an issue (a field path) at its line and column in the file. */
export function issueToProblem(file: string, locator: SourceLocator, issue: LabIssue): Problem {
  const { line, column } = locator.locate(issue.path, issue.at);
  return {
    file,
    line,
    column,
    field: fieldOf(issue.path),
    message: issue.message,
    ...(issue.accepted ? { accepted: issue.accepted } : {}),
    severity: issue.severity,
  };
}
