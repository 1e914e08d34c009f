// Prometheus metrics of one controller (its own registry, so several controllers can live in one process).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class ControllerMetrics {
  readonly registry = new Registry();
  readonly leader = new Gauge({
    name: 'tsstack_controller_leader',
    help: '1 while this controller holds the reconcile lease',
    registers: [this.registry],
  });
  readonly agents = new Gauge({
    name: 'tsstack_controller_agents_connected',
    help: 'agent sessions on this controller',
    registers: [this.registry],
  });
  readonly roundSeconds = new Histogram({
    name: 'tsstack_controller_round_seconds',
    help: 'duration of a reconcile/dispatch round',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly tasksWritten = new Counter({
    name: 'tsstack_controller_task_writes_total',
    help: 'tasks created or changed by the reconciler',
    registers: [this.registry],
  });
  readonly statusReports = new Counter({
    name: 'tsstack_controller_status_reports_total',
    help: 'task status reports from agents',
    registers: [this.registry],
  });
  readonly eventClients = new Gauge({
    name: 'tsstack_controller_event_clients',
    help: 'open /v1/events streams',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
