// Stack files the scenarios and bench:cluster deploy (the three-tier one is stacks/three-tier.yml).

/** web x3 serving its version string; `healthy: false` makes a version whose health check always fails. */
export function webStack(version: string, opts: { healthy?: boolean; rollback?: boolean } = {}): string {
  const probe = opts.healthy === false ? "['CMD', 'false']" : "['CMD', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:8080/']"; // prettier-ignore
  return `name: roll
services:
  web:
    image: tsstack.local/hello:1
    command: ['sh', '-c', 'mkdir -p /tmp/w && echo ${version} > /tmp/w/index.html && exec httpd -f -p 8080 -h /tmp/w']
    ports:
      - '8080:8080'
    healthcheck:
      test: ${probe}
      interval: 1s
      timeout: 1s
      retries: 2
    deploy:
      replicas: 3
      update_config:
        parallelism: 1
        order: start-first
        delay: 1s
        monitor: 3s
        failure_action: ${opts.rollback ? 'rollback' : 'pause'}
      rollback_config:
        parallelism: 1
        order: start-first
`;
}
