/**
 * Host-key pinning for `kumo ssh`: the guest prints its SSH host public keys on the serial console
 * (the block cloud-init prints on EC2, which kumo-tiny prints too), and the console comes over
 * kumod's API, not over the network. Writing those keys into kumo's known_hosts before the first
 * connection lets ssh verify the very first connection instead of trusting whatever answers.
 */

const BEGIN = '-----BEGIN SSH HOST KEY KEYS-----';
const END = '-----END SSH HOST KEY KEYS-----';
const KEY_LINE =
  /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(?:256|384|521)) ([A-Za-z0-9+/]+={0,3})(?:\s|$)/;

/** The host keys ("type base64") in the console's last host-key block; [] when there is none. */
export function hostKeysFromConsole(console: string): string[] {
  const lines = console.replace(/\r/g, '').split('\n');
  const end = lines.lastIndexOf(END);
  if (end < 0) return [];
  const begin = lines.lastIndexOf(BEGIN, end);
  if (begin < 0) return [];
  return lines.slice(begin + 1, end).flatMap((line) => {
    const m = KEY_LINE.exec(line.trim());
    return m ? [`${m[1]} ${m[2]}`] : [];
  });
}

/** True when known_hosts already has an entry for this alias (then ssh verifies against it). */
export function hasHostEntry(knownHosts: string, alias: string): boolean {
  return knownHosts
    .split('\n')
    .some((line) => line.split(/\s+/)[0]?.split(',').includes(alias) === true);
}

/** known_hosts lines pinning `keys` to the instance id used as HostKeyAlias. */
export function knownHostsLines(alias: string, keys: readonly string[]): string {
  return keys.map((k) => `${alias} ${k}\n`).join('');
}
