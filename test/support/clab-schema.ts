// containerlab's published topology schema (https://containerlab.dev/clab.schema.json), from
// the shared reference beside the repository (CI clones the repo with ../shared next to it).
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';

export const CLAB_SCHEMA = process.env.LVSLAB_CLAB_SCHEMA ?? fileURLToPath(new URL('../../../shared/schemas/clab.schema.json', import.meta.url));

/**
 * The schema says draft-07 but uses 2020-12's `prefixItems` (the short link form's two
 * endpoints) and the editor annotation `markdownDescription`. Under draft-07 rules
 * `prefixItems` would be silently ignored, so it is rewritten to its draft-07 equivalent
 * (`items` as a tuple); the annotation is declared as such.
 */
export function loadClabValidator(): ValidateFunction {
  if (!existsSync(CLAB_SCHEMA)) throw new Error(`containerlab schema not found at ${CLAB_SCHEMA} (set LVSLAB_CLAB_SCHEMA)`);
  const schema = JSON.parse(readFileSync(CLAB_SCHEMA, 'utf8')) as unknown;
  // Not strict: ajv's strict mode only objects to looseness in the schema itself (an
  // `additionalItems` on an object, patterns without `type`), not to our documents.
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addKeyword({ keyword: 'markdownDescription', schemaType: 'string' });
  return ajv.compile(rewritePrefixItems(schema) as object);
}

function rewritePrefixItems(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewritePrefixItems);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'prefixItems') out.items = rewritePrefixItems(v);
    else out[k] = rewritePrefixItems(v);
  }
  return out;
}
