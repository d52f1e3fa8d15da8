/** Drop this page's connection for N seconds: the server keeps broadcasting, and the client replays what it missed. */
import { useEffect, useState } from 'react';
import { useConnection, useJobcast } from '../../../client/react/index.js';

export function ConnectionDrop() {
  const client = useJobcast();
  const connection = useConnection();
  const [seconds, setSeconds] = useState(5);
  const [backAt, setBackAt] = useState<number | undefined>(undefined);
  const [now, setNow] = useState(Date.now);

  useEffect(() => {
    if (backAt === undefined) return;
    const tick = setInterval(() => setNow(Date.now()), 250);
    const reconnect = setTimeout(() => {
      client.connect();
      setBackAt(undefined);
    }, backAt - Date.now());
    return () => {
      clearInterval(tick);
      clearTimeout(reconnect);
    };
  }, [backAt, client]);

  const drop = () => {
    client.disconnect();
    setNow(Date.now());
    setBackAt(Date.now() + seconds * 1_000);
  };
  const left = backAt === undefined ? 0 : Math.max(0, Math.ceil((backAt - now) / 1_000));

  return (
    <div className="lab-section">
      <h3>Drop the connection</h3>
      <div className="row">
        <select aria-label="Seconds offline" data-testid="drop-seconds" value={seconds} onChange={(event) => setSeconds(Number(event.target.value))}>
          {[3, 5, 10, 20].map((value) => (
            <option key={value} value={value}>
              {value} s
            </option>
          ))}
        </select>
        <button type="button" className="button" data-testid="drop-connection" disabled={backAt !== undefined} onClick={drop}>
          Drop for {seconds} s
        </button>
      </div>
      <p className="muted small" data-testid="drop-state">
        {backAt !== undefined
          ? `Offline on purpose: reconnecting in ${left} s. The server keeps publishing meanwhile.`
          : `Connection: ${connection.state}. Drop it during a job: on return the client replays the missed broadcasts and counts them.`}
      </p>
    </div>
  );
}
