// One catalog of every error berth can report. Each code knows whose fault it is and which
// HTTP status it maps to; the API maps errors to responses in one place and the CLI prints
// message then hint. Never branch on an error's text: branch on its code.

export type Fault = 'user' | 'platform';

interface ErrorKind {
  status: number;
  fault: Fault;
  hint: string;
}

export const ERROR_CATALOG = {
  unauthorized: {
    status: 401,
    fault: 'user',
    hint: 'Send "Authorization: Bearer <token>"; the admin token is in <home>/credentials, or set BERTH_TOKEN.',
  },
  forbidden: { status: 403, fault: 'user', hint: 'Use a token that is allowed to do this.' },
  csrf: {
    status: 403,
    fault: 'user',
    hint: "Reload the dashboard: its writes carry the session's x-berth-csrf header, which this request lacks.",
  },
  too_many_requests: {
    status: 429,
    fault: 'user',
    hint: 'Wait a minute and try again.',
  },
  not_found: {
    status: 404,
    fault: 'user',
    hint: 'Check the name or id; `berth apps list` shows what exists.',
  },
  app_not_found: {
    status: 404,
    fault: 'user',
    hint: 'Create it with `berth apps create NAME` or deploy it with `berth deploy`.',
  },
  release_not_found: {
    status: 404,
    fault: 'user',
    hint: '`berth releases` lists the versions this app has.',
  },
  schedule_not_found: {
    status: 404,
    fault: 'user',
    hint: "`berth schedules list` shows the schedules of the app's current release.",
  },
  notify_target_not_found: {
    status: 404,
    fault: 'user',
    hint: '`berth notify list` shows the targets of the app.',
  },
  token_not_found: {
    status: 404,
    fault: 'user',
    hint: '`berth tokens list` shows the tokens not revoked.',
  },
  token_exists: {
    status: 409,
    fault: 'user',
    hint: 'Pick another name, or revoke the old token first with `berth tokens revoke NAME`.',
  },
  last_admin_token: {
    status: 409,
    fault: 'user',
    hint: 'Create another admin token first (`berth tokens create NAME --role admin`), then revoke this one.',
  },
  machine_not_found: {
    status: 404,
    fault: 'user',
    hint: '`berth machine list` shows the machines of the app.',
  },
  artifact_not_found: {
    status: 404,
    fault: 'user',
    hint: 'Upload the artifact first (PUT /v1/artifacts/{digest}); `berth deploy` does this for you.',
  },
  app_exists: {
    status: 409,
    fault: 'user',
    hint: 'Pick another name, or deploy to the existing app with `-a NAME`.',
  },
  deploy_in_progress: {
    status: 409,
    fault: 'user',
    hint: 'Wait for the running deployment to finish; `berth status` shows it.',
  },
  deploy_locked: {
    status: 409,
    fault: 'user',
    hint: 'Wait for the other deploy, pass --lock-wait 5m, or break the lock with `berth lock release` if its deployer is gone.',
  },
  no_rollback_target: {
    status: 409,
    fault: 'user',
    hint: '`berth releases` shows which releases completed; roll back to one of those with `berth rollback vN`.',
  },
  machine_conflict: {
    status: 409,
    fault: 'user',
    hint: '`berth machine status ID` shows what state the machine is in.',
  },
  scale_failed: {
    status: 422,
    fault: 'user',
    hint: 'The message ends with what each failed machine printed last; `berth logs --machine ID` shows more. The machines that were already running keep serving.',
  },
  invalid_request: {
    status: 400,
    fault: 'user',
    hint: 'Fix the request body; GET /v1/openapi.json describes every endpoint.',
  },
  malformed_url: {
    status: 400,
    fault: 'user',
    hint: 'Percent-encode reserved characters in the path and query as %XX with two hex digits (a space is %20, "%" itself is %25).',
  },
  method_not_allowed: {
    status: 405,
    fault: 'user',
    hint: 'Use one of the methods in the Allow header; GET /v1/openapi.json lists the methods of every path.',
  },
  body_too_large: {
    status: 413,
    fault: 'user',
    hint: 'Send a smaller JSON body; artifacts go to PUT /v1/artifacts/{digest} as a gzip tar, not in JSON.',
  },
  uri_too_long: {
    status: 414,
    fault: 'user',
    hint: 'Shorten the URL: API paths and queries are short, and data belongs in a request body.',
  },
  headers_too_large: {
    status: 431,
    fault: 'user',
    hint: 'Send fewer or shorter headers (cookies from other sites are a common cause).',
  },
  request_timeout: {
    status: 408,
    fault: 'user',
    hint: 'Send the whole request without pausing; check the network between the client and the daemon.',
  },
  expectation_failed: {
    status: 417,
    fault: 'user',
    hint: 'Send no Expect header, or "Expect: 100-continue".',
  },
  malformed_request: {
    status: 400,
    fault: 'user',
    hint: 'Send a well-formed HTTP/1.1 request; the berth CLI and SDK do this for you.',
  },
  invalid_app_name: {
    status: 400,
    fault: 'user',
    hint: 'Use 1-63 lowercase letters, digits and dashes, starting with a letter (a DNS label), e.g. "my-app".',
  },
  invalid_config: {
    status: 422,
    fault: 'user',
    hint: 'Fix the listed problems; `berth config validate` checks a file without deploying.',
  },
  config_not_found: {
    status: 400,
    fault: 'user',
    hint: 'Add a berth.toml (or fly.toml) to the directory, or name one with `-c FILE`.',
  },
  no_app_name: { status: 400, fault: 'user', hint: 'Pass `-a NAME`, or set `app = "NAME"` in berth.toml.' },
  no_command: {
    status: 422,
    fault: 'user',
    hint: 'Add a [processes] table to berth.toml, a Procfile, or a "start" script in package.json.',
  },
  empty_command: {
    status: 422,
    fault: 'user',
    hint: 'Write the command in [processes], e.g. app = "node server.js", or deploy with the docker driver, which runs the image\'s own CMD (add a Dockerfile or [build] image).',
  },
  unsupported_builder: {
    status: 422,
    fault: 'user',
    hint: 'berth does not run buildpacks: add a Dockerfile (and [build] dockerfile if it is not ./Dockerfile), or give [build] image.',
  },
  wrong_port: {
    status: 422,
    fault: 'user',
    hint: 'Make the app listen on the port in the PORT environment variable, or deploy it with the docker driver, where it listens on internal_port.',
  },
  invalid_archive: {
    status: 400,
    fault: 'user',
    hint: 'Upload a gzip-compressed tar of the app directory; `berth deploy` packs it for you.',
  },
  unsafe_archive: {
    status: 400,
    fault: 'user',
    hint: 'Remove absolute paths, ".." components and links pointing outside the directory, then deploy again.',
  },
  archive_too_large: {
    status: 413,
    fault: 'user',
    hint: 'Exclude build output and dependencies with .dockerignore (or .gitignore), or raise --max-artifact-size.',
  },
  digest_mismatch: {
    status: 400,
    fault: 'user',
    hint: 'The upload was corrupted or the digest is wrong; run the deploy again.',
  },
  build_failed: {
    status: 422,
    fault: 'user',
    hint: 'Read the build log above, fix [build] command, and deploy again.',
  },
  image_pull_failed: {
    status: 422,
    fault: 'user',
    hint: 'Check the image name and tag in [build] image, and that the Docker Engine can reach its registry (or load the image with `docker load`).',
  },
  docker_engine_error: {
    status: 502,
    fault: 'platform',
    hint: 'Check the Docker Engine with `docker info` (DOCKER_HOST, else /var/run/docker.sock); its own log says more.',
  },
  deploy_failed: {
    status: 422,
    fault: 'user',
    hint: '`berth releases show vN` shows why and what the failing machine printed last; the previous release keeps serving.',
  },
  invalid_secret_name: {
    status: 400,
    fault: 'user',
    hint: 'Secret names are environment variable names: letters, digits and underscores, not starting with a digit, e.g. DATABASE_URL.',
  },
  secret_not_found: {
    status: 404,
    fault: 'user',
    hint: '`berth secrets list` shows the secrets the app has.',
  },
  nothing_staged: {
    status: 409,
    fault: 'user',
    hint: 'Stage changes with `berth secrets set --stage NAME=VALUE` first; `berth secrets list` shows what is pending.',
  },
  master_key_invalid: {
    status: 500,
    fault: 'platform',
    hint: 'Set BERTH_MASTER_KEY to 32 bytes in base64 or hex (e.g. `openssl rand -base64 32`), or unset it to use <home>/master.key.',
  },
  secrets_unreadable: {
    status: 500,
    fault: 'platform',
    hint: 'Restore the <home>/master.key the secrets were written with, or set BERTH_MASTER_KEY to that key.',
  },
  invalid_volume: {
    status: 400,
    fault: 'user',
    hint: 'Volume names are lowercase letters, digits and underscores; sizes look like "1gb" or "500mb".',
  },
  volume_not_found: {
    status: 404,
    fault: 'user',
    hint: '`berth volumes list` shows the volumes of the app and their ids (vol_...).',
  },
  volume_attached: {
    status: 409,
    fault: 'user',
    hint: 'Destroy or scale down the machine first, or pass --force to stop the machine and destroy the volume.',
  },
  volume_source_changed: {
    status: 409,
    fault: 'user',
    hint: "Keep the mount's source; change only its destination.",
  },
  volumes_need_rolling: {
    status: 422,
    fault: 'user',
    hint: 'Use strategy = "rolling" for apps with volumes.',
  },
  mounts_unsupported: {
    status: 422,
    fault: 'user',
    hint: 'Run the daemon as root on Linux (the process driver mounts volumes in a namespace of their own), use the docker driver, or remove [mounts] from the config.',
  },
  placement_unsatisfiable: {
    status: 422,
    fault: 'user',
    hint: 'Label a node with `berth nodes label NODE KEY=VALUE` (`berth nodes list` shows them), or change [deploy] placement / primary_region.',
  },
  node_not_found: {
    status: 404,
    fault: 'user',
    hint: '`berth nodes list` shows the nodes: name one by its id (or the start of it) or its hostname.',
  },
  exec_unsupported: {
    status: 422,
    fault: 'user',
    hint: 'On the swarm driver, `berth run -a APP -- CMD ARGS…` runs a command in a machine of its own and streams its output (not interactive); `docker exec -it` on the node that runs a machine (`berth nodes list`) reaches a running one.',
  },
  docker_unavailable: {
    status: 422,
    fault: 'user',
    hint: 'Start Docker (or set DOCKER_HOST) and restart `berth server`, or add [processes] and deploy with --driver process.',
  },
  driver_unavailable: {
    status: 422,
    fault: 'user',
    hint: '`berth server --driver` names the default; deploy with --driver NAME naming a driver this daemon has.',
  },
  driver_move_blocked: {
    status: 409,
    fault: 'user',
    hint: 'Volumes stay on their driver: destroy them with `berth volumes destroy ID` to move the app, or deploy with --driver naming its current driver.',
  },
  invalid_hostname: {
    status: 400,
    fault: 'user',
    hint: 'Give a fully qualified hostname such as www.example.com.',
  },
  hostname_taken: {
    status: 409,
    fault: 'user',
    hint: 'Remove it from the other app first with `berth certs remove HOST -a OTHER`.',
  },
  certificate_invalid: {
    status: 400,
    fault: 'user',
    hint: 'Pass a PEM certificate that covers the hostname and the private key that belongs to it.',
  },
  certificate_not_found: {
    status: 404,
    fault: 'user',
    hint: '`berth certs list` shows the hostnames of the app.',
  },
  address_unavailable: {
    status: 409,
    fault: 'user',
    hint: 'Pick another address or port; `berth ips list` shows what is allocated.',
  },
  ip_not_found: {
    status: 404,
    fault: 'user',
    hint: '`berth ips list` shows the addresses allocated to the app.',
  },
  home_in_use: {
    status: 409,
    fault: 'user',
    hint: 'Use the daemon that holds this home, stop it, or start this one with another --home.',
  },
  daemon_unreachable: {
    status: 503,
    fault: 'platform',
    hint: 'Start it with `berth server`, or point BERTH_API_URL at a running daemon.',
  },
  upgrade_required: {
    status: 426,
    fault: 'user',
    hint: 'Send "Connection: Upgrade" and "Upgrade: berth-session/1"; `berth run`, `exec` and `console` do this for you.',
  },
  invalid_frame: {
    status: 400,
    fault: 'user',
    hint: 'Send session frames as the berth CLI and SDK do: one byte of kind, four of length, then the payload.',
  },
  server_control_unavailable: {
    status: 409,
    fault: 'user',
    hint: 'Stop or restart this daemon the way it was started (it runs inside another program, not as `berth server`).',
  },
  response_schema: {
    status: 500,
    fault: 'platform',
    hint: 'The daemon answered with something its API schema does not describe (checked under BERTH_CHECK_RESPONSES=1); the daemon log names the route and the fields.',
  },
  internal: {
    status: 500,
    fault: 'platform',
    hint: 'This is a bug in berth; the daemon log has the details.',
  },
} as const satisfies Record<string, ErrorKind>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

/** An error berth knows how to explain: a code from the catalog, a message and a hint. */
export class BerthError extends Error {
  readonly code: ErrorCode;
  readonly hint: string;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, options: { hint?: string; details?: unknown } = {}) {
    super(message);
    this.name = 'BerthError';
    this.code = code;
    this.hint = options.hint ?? ERROR_CATALOG[code].hint;
    this.details = options.details;
  }

  get status(): number {
    return ERROR_CATALOG[this.code].status;
  }

  get fault(): Fault {
    return ERROR_CATALOG[this.code].fault;
  }
}

export function isBerthError(value: unknown): value is BerthError {
  return value instanceof BerthError;
}

/** The wire form of an error: `{"error":{"code","message","hint"}}`. */
export interface ErrorBody {
  error: { code: string; message: string; hint: string; details?: unknown };
}

export function toErrorBody(err: BerthError): ErrorBody {
  const body: ErrorBody = { error: { code: err.code, message: err.message, hint: err.hint } };
  if (err.details !== undefined) body.error.details = err.details;
  return body;
}
