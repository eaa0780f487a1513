import { readFile } from 'node:fs/promises';

/** Looks a user or group up in /etc/passwd or /etc/group; undefined if absent. */
async function lookup(file: string, name: string): Promise<number | undefined> {
  const text = await readFile(file, 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const [n, , id] = line.split(':');
    if (n === name && id !== undefined) return Number(id);
  }
  return undefined;
}

export const userId = (name: string): Promise<number | undefined> => lookup('/etc/passwd', name);
export const groupId = (name: string): Promise<number | undefined> => lookup('/etc/group', name);
