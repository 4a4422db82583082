// A background worker: no port, just work on a timer.
let beats = 0;
setInterval(() => {
  beats += 1;
  console.log(`worker heartbeat ${beats} (release v${process.env.BERTH_RELEASE_VERSION})`);
}, 1000);
process.on('SIGTERM', () => process.exit(0));
