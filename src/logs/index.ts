// Parsers from raw daemon/monitor text to the run records of src/experiment/types.ts.
export { type LogTimeZone, wallClockToEpochMs, textLines } from './time.js';
export { type LogParseOptions, parseFrrLog, parseOspfAdjacencyChange, isAdjacencyLoss, type OspfAdjacencyChange, parseBfdStateChange, isBfdSessionLoss, type BfdStateChange } from './frr.js';
export { parseKeepalivedLog, KEEPALIVED_LOG_RESOLUTION_MS } from './keepalived.js';
export { parseHealthdLog, HEALTHD_LOG_RESOLUTION_MS } from './healthd.js';
export { parseCheckerDecision, takesServerOut, type CheckerDecision, type Endpoint } from './checker.js';
export { parseNginxAccessLog } from './nginx.js';
export { parseIpMonitorRoute, parseIpMonitorNeigh, normalisePrefix, IP_MONITOR_RESOLUTION_MS, type IpMonitorParseOptions } from './ip-monitor.js';
export { parseCollectedLogs, parseRouteMonitors, parseNeighbourMonitors, LOG_PARSERS } from './collected.js';
