// `tsstack top -p <stack> <service>`: the processes of each running task of a service (pid, uid, command),
// from the controller's GET /v1/services/:stack/:service/top.
import type { Command } from 'commander';
import { makeClient, withContext } from '../client/make-client';
import { renderTable } from '../render/table-renderer';
import { probe, type ProbeAnswer } from './stats.command';
import { withStackTarget } from './stack-file';

export interface TopProcess {
  pid: number;
  ppid: number;
  uid: number;
  state: string;
  command: string;
}

/** Pure: one block per task, a header line then a PID/UID/CMD table. */
export function renderTop(service: string, answers: ProbeAnswer<TopProcess[]>[]): string {
  if (!answers.length) return `${service}: no running tasks\n`;
  return answers
    .map((a) => {
      const head = `${service}.${a.slot ?? '-'} ${a.task.slice(0, 12)} (node ${a.node.slice(0, 12)})\n`;
      if (!a.data) return `${head}error: ${a.error ?? 'no answer'}\n`;
      return (
        head +
        renderTable(
          ['PID', 'PPID', 'UID', 'CMD'],
          a.data.map((p) => [p.pid, p.ppid, p.uid, p.command]),
        )
      );
    })
    .join('\n');
}

export function register(program: Command): void {
  withStackTarget(withContext(program.command('top')))
    .description('show the processes of the tasks of a service')
    .argument('<service>')
    .option('--format <format>', 'table|json', 'table')
    .action(async (service: string, o: { projectName: string; format: string }, cmd: Command) => {
      const answers = await probe<TopProcess[]>(makeClient(cmd), o.projectName, service, 'top');
      if (o.format === 'json') process.stdout.write(JSON.stringify(answers) + '\n');
      else process.stdout.write(renderTop(service, answers));
      if (answers.some((a) => a.error)) process.exitCode = 1;
    });
}
