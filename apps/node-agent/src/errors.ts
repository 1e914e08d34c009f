// Typed errors of the node agent; each says what to do.
import { TsstackError } from '@tsstack/model';

export class AgentJoinError extends TsstackError {
  constructor(reason: string) {
    super(
      'AGENT_JOIN_REFUSED',
      `the controller refused this agent: ${reason}. Check --token (tsstack node join-token) and --controller`,
    );
  }
}

export class AgentDependencyMissingError extends TsstackError {
  constructor(what: string) {
    super(
      'AGENT_DEPENDENCY_MISSING',
      `${what} is not available in this build; the agent cannot run containers`,
    );
  }
}
