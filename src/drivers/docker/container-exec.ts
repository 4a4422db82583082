// `berth exec` and `berth console` on the docker driver: an Engine exec in the running
// container, which has the container's environment (env, secrets, PORT), user and working
// directory. Its stream is hijacked both ways; without a tty the Engine multiplexes stdout and
// stderr in 8-byte-headed frames, demultiplexed here.
import { PassThrough, type Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { BerthError } from '../../core/errors.js';
import type { ExecRequest, ExecSession } from '../driver.js';
import { engineError, engineStatus } from './engine.js';

export async function execInContainer(
  docker: Docker,
  container: Docker.Container,
  request: ExecRequest,
): Promise<ExecSession> {
  const tty = request.tty;
  let exec: Docker.Exec;
  let stream: Duplex;
  try {
    exec = await container.exec({
      Cmd: request.command,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: tty !== undefined,
      ...(tty && { Env: [`TERM=${tty.term}`], ConsoleSize: [tty.rows, tty.cols] }),
    });
    stream = (await exec.start({ hijack: true, stdin: true, Tty: tty !== undefined })) as Duplex;
  } catch (err) {
    if (engineStatus(err) === 409 || engineStatus(err) === 404) {
      throw new BerthError('machine_conflict', `container ${container.id.slice(0, 12)} is not running`, {
        hint: 'Start the machine first with `berth machine start ID`, or use `berth run` for a one-off command.',
      });
    }
    throw engineError(`starting a command in container ${container.id.slice(0, 12)}`, err);
  }
  const listeners: Array<(stream: 'stdout' | 'stderr', data: Uint8Array) => void> = [];
  if (tty) {
    stream.on('data', (d: Buffer) => listeners.forEach((l) => l('stdout', d)));
  } else {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    stdout.on('data', (d: Buffer) => listeners.forEach((l) => l('stdout', d)));
    stderr.on('data', (d: Buffer) => listeners.forEach((l) => l('stderr', d)));
    docker.modem.demuxStream(stream, stdout, stderr);
  }
  const exit = new Promise<{ exitCode: number | null; signal: string | null }>((resolve, reject) => {
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      exec.inspect().then(
        (info) => resolve({ exitCode: info.ExitCode ?? null, signal: null }),
        (err: unknown) => reject(engineError('reading the exit code of a command', err)),
      );
    };
    stream.once('end', done);
    stream.once('close', done);
    stream.once('error', done);
  });
  // The Engine takes a size at create only from API 1.42 on: give it once the exec runs.
  let resizing = tty
    ? exec.resize({ h: tty.rows, w: tty.cols }).then(
        () => undefined,
        () => undefined,
      )
    : Promise.resolve();
  return {
    onOutput: (listener) => listeners.push(listener),
    write: (data) => void stream.write(data),
    // Half-close: the command reads end of file and the output keeps coming.
    endInput: () => stream.end(),
    resize: ({ cols, rows }) => {
      // In order, and never failing the session: a resize after the exit is harmless.
      resizing = resizing.then(() =>
        exec.resize({ h: rows, w: cols }).then(
          () => undefined,
          () => undefined,
        ),
      );
    },
    // The Engine cannot signal an exec: closing its stream hangs up a tty and ends a pipe's input.
    kill: () => stream.destroy(),
    exit,
  };
}
