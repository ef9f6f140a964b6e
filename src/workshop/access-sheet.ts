// A student's access sheet (Markdown): which lab is theirs, the commands to type (all of
// them scoped to their instance with --student), the exercise stage they are on, and the
// lab's topology as `lvslab graph` draws it (Mermaid; GitHub and most editors render it).
import type { ResolvedLab } from '../model/types.js';
import { renderMermaid } from '../render/graph.js';
import type { ClassRecord, StudentRecord } from './class-record.js';
import type { LoadedExercise } from './exercise.js';
import { DEFAULT_CLASS } from './names.js';

export function accessSheet(record: ClassRecord, student: StudentRecord, lab: ResolvedLab, exercise: LoadedExercise | undefined): string {
  const who = `--student ${student.name}${record.className === DEFAULT_CLASS ? '' : ` --class ${record.className}`}`;
  const client = lab.nodes.find((n) => n.role === 'client');
  const router = lab.nodes.find((n) => n.role === 'router');
  const director = lab.nodes.find((n) => n.role === 'director');
  const service = lab.services[0];
  const lines = [
    `# ${student.name}: your lab`,
    '',
    `Class **${record.className}**, lab **${lab.name}** (instance \`${student.instance}\`)${student.group ? `, group ${student.group}` : ''}.`,
    'Every command below reaches your own lab only; nothing you do there changes another student\'s lab.',
    '',
    '## Commands',
    '',
    '```sh',
    `lvslab status ${who}                      # your lab: nodes, routes, health`,
    ...(client && service ? [`lvslab exec ${who} ${client.name} -- curl -s http://${service.vip}:${service.port}/`] : []),
    ...(router ? [`lvslab exec ${who} ${router.name} -- ip route`] : []),
    ...(router && lab.nodes.some((n) => n.ospf) ? [`lvslab exec ${who} ${router.name} -- vtysh -c 'show ip ospf neighbor'`] : []),
    ...(director ? [`lvslab exec ${who} ${director.name} -- bash     # a shell on ${director.name}`] : []),
    `lvslab workshop predict ${who} QUESTION VALUE   # your answer to a question, before it is measured`,
    '```',
    '',
    `Nodes: ${lab.nodes.map((n) => `${n.name} (${n.role})`).join(', ')}.`,
    '',
  ];
  if (exercise) {
    const ex = exercise.exercise;
    const stage = ex.stages[student.stage];
    lines.push(`## Exercise: ${ex.title}`, '', ex.description ?? '', '');
    if (stage) {
      lines.push(`### Stage ${student.stage + 1} of ${ex.stages.length}: ${stage.title}`, '', stage.text.trim(), '');
      for (const q of stage.questions ?? []) lines.push(`- **Predict** (\`${q.id}\`, in ${q.unit}): ${q.ask}`);
      if ((stage.questions ?? []).length) lines.push('');
    }
  }
  lines.push('## Topology', '', '```mermaid', renderMermaid(lab).trimEnd(), '```', '');
  return lines.join('\n');
}
