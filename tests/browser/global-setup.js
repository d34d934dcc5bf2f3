// Starts the real ruang binary once for the whole run (it is built beforehand by run.sh, never here),
// publishes its URL as RUANG_URL and stops it at the end.
import { startServer } from './server.js';

export default async function globalSetup() {
  const server = await startServer();
  process.env.RUANG_URL = server.url;
  return async () => { await server.stop(); };
}
