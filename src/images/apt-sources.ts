// Which Debian/Ubuntu mirror and suite to debootstrap from: the ones apt on this host already
// uses, so an offline build needs nothing apt cannot already reach (a local mirror, a proxy
// configured as the mirror URI, or the distribution's own servers).
//
// Both formats: one-line `deb URI SUITE COMPONENTS` (sources.list) and deb822 stanzas
// (`*.sources`). Pure functions over file texts.

export interface AptSource {
  uri: string;
  suites: string[];
  components: string[];
}

export function parseAptSources(text: string, format: 'list' | 'deb822'): AptSource[] {
  return format === 'list' ? parseOneLine(text) : parseDeb822(text);
}

function parseOneLine(text: string): AptSource[] {
  const out: AptSource[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    // deb [options] uri suite [components...]
    const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)(.*)$/.exec(line);
    if (!m) continue;
    out.push({ uri: m[1]!, suites: [m[2]!], components: m[3]!.trim().split(/\s+/).filter(Boolean) });
  }
  return out;
}

function parseDeb822(text: string): AptSource[] {
  const out: AptSource[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    let last = '';
    for (const raw of stanza.split('\n')) {
      if (raw.startsWith('#')) continue;
      if (/^\s/.test(raw) && last) {
        fields.set(last, `${fields.get(last)} ${raw.trim()}`);
        continue;
      }
      const m = /^([A-Za-z-]+):\s*(.*)$/.exec(raw);
      if (m) {
        last = m[1]!.toLowerCase();
        fields.set(last, m[2]!.trim());
      }
    }
    if (fields.get('enabled')?.toLowerCase() === 'no') continue;
    const types = (fields.get('types') ?? '').split(/\s+/);
    if (!types.includes('deb')) continue;
    const suites = (fields.get('suites') ?? '').split(/\s+/).filter(Boolean);
    for (const uri of (fields.get('uris') ?? '').split(/\s+/).filter(Boolean)) {
      out.push({ uri, suites, components: (fields.get('components') ?? '').split(/\s+/).filter(Boolean) });
    }
  }
  return out;
}

/**
 * The mirror that carries `suite` itself (not -updates or -security) with `main`; the
 * first one, in the order apt reads them.
 */
export function mirrorFor(sources: readonly AptSource[], suite: string): string | undefined {
  return sources.find((s) => s.suites.includes(suite) && (s.components.length === 0 || s.components.includes('main')))?.uri;
}
