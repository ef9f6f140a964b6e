// The health checker's decisions, in the wording keepalived 2.2 and lvslab-healthd share:
//
//   Removing service [10.0.1.129]:tcp:80 from VS [10.0.1.100]:tcp:80     (server failed)
//   Disabling service [10.0.1.129]:tcp:80 of VS [10.0.1.100]:tcp:80      (failed, inhibit_on_failure: weight 0)
//   Adding service [10.0.1.129]:tcp:80 to VS [10.0.1.100]:tcp:80         (back)
//   Enabling service [10.0.1.129]:tcp:80 to VS [10.0.1.100]:tcp:80       (back, inhibit_on_failure)
//
// "Removing sorry server ..." and "Shutting down service ..." (keepalived stopping) are
// different messages and deliberately do not match.

export interface Endpoint {
  address: string;
  protocol: string;
  port: number;
}

export interface CheckerDecision {
  /** removed/disabled: the director stopped sending new connections to the real server. */
  verb: 'removed' | 'disabled' | 'added' | 'enabled';
  realServer: Endpoint;
  virtualServer: Endpoint;
}

// keepalived 2.2.7 writes 'Disabling service ... of VS ...' (seen on a real IPVS kernel); 'from'/'to' elsewhere.
const DECISION = /^(Removing|Disabling|Adding|Enabling) service \[([^\]]+)\]:([a-z]+):(\d+) (?:from|to|of) VS \[([^\]]+)\]:([a-z]+):(\d+)/;

const VERBS = { Removing: 'removed', Disabling: 'disabled', Adding: 'added', Enabling: 'enabled' } as const;

export function parseCheckerDecision(text: string): CheckerDecision | undefined {
  const m = DECISION.exec(text);
  if (!m) return undefined;
  const [, verb, rsAddress, rsProtocol, rsPort, vsAddress, vsProtocol, vsPort] = m;
  return {
    verb: VERBS[verb as keyof typeof VERBS],
    realServer: { address: rsAddress!, protocol: rsProtocol!, port: Number(rsPort) },
    virtualServer: { address: vsAddress!, protocol: vsProtocol!, port: Number(vsPort) },
  };
}

/** True when the decision takes the real server out of rotation. */
export function takesServerOut(decision: CheckerDecision): boolean {
  return decision.verb === 'removed' || decision.verb === 'disabled';
}
