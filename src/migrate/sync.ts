export function sync(): void {}
