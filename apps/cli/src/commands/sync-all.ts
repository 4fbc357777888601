/**
 * Runs `syncOne` for every provider, at most `atOnce` at a time (partners are independent; one
 * slow drop should not hold the others back), and resolves with the results in the order the
 * providers were named.
 */
export async function syncAll<T>(names: readonly string[], atOnce: number, syncOne: (name: string) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(names.length);
  let next = 0;
  const lane = async () => {
    for (let index = next++; index < names.length; index = next++) results[index] = await syncOne(names[index] as string);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(atOnce, names.length)) }, lane));
  return results;
}
