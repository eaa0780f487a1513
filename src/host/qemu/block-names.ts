/**
 * QEMU names for a data volume, the same at start-up (command line) and at hot-plug (QMP), so a
 * disk plugged by either can be unplugged by the other, also by a later kumod.
 */
export const blockNodeName = (volumeId: string): string => volumeId;
export const blockDeviceId = (volumeId: string): string => `dev-${volumeId}`;
