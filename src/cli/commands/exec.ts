import type { Command } from 'commander';
import { EXIT, LvslabError } from '../../util/errors.js';
import { pickInstanceOrStudent, requireState, withStudentFlags } from './shared.js';
import { runtimeOfRecord } from '../../runtime/select.js';

export function registerExec(program: Command): void {
  withStudentFlags(program.command('exec'))
    .argument('<NODE>', 'node to run in')
    .argument('<CMD...>', 'command and its arguments (put them after --)')
    .option('--name <NAME>', 'instance (default: the only one that is up)')
    .description('run a command inside a node of a running lab, with your terminal attached; exits with its exit code')
    .addHelpText('after', `
Examples:
  lvslab exec client1 -- curl -s http://10.0.1.100/
  lvslab exec router -- ip route show 10.0.1.100
  lvslab exec router -- vtysh -c 'show ip ospf neighbor'
  lvslab exec lb1 -- nft list ruleset
  lvslab exec --name alice rs1 -- bash
  lvslab exec --student alice rs1 -- sysctl net.ipv4.conf.all.arp_ignore   (a workshop student's lab)`)
    .action(async (node: string, cmd: string[], opts: { name?: string; student?: string; class?: string }) => {
      const inst = await pickInstanceOrStudent(opts);
      const state = await requireState(inst);
      const runtime = await runtimeOfRecord(state);
      const n = state.lab.nodes.find((x) => x.name === node);
      if (!n) {
        throw new LvslabError(`no node '${node}' in ${inst} (nodes: ${state.lab.nodes.map((x) => x.name).join(', ')})`, EXIT.invalidInput);
      }
      // vtysh needs to be told where this node's FRR sockets are.
      const argv = cmd[0] === 'vtysh' && n.ospf ? ['vtysh', '--vty_socket', runtime.nodePaths(inst, node).frrVtyDir, ...cmd.slice(1)] : cmd;
      process.exitCode = await runtime.execInteractive(inst, node, argv);
    });
}
