/** An event: a type such as `bank.transfer` and ordered string attributes (deterministic, indexable). */
export type ChainEvent = { type: string; attributes: Array<[string, string]> };

export type EventAttributes = Record<string, string | bigint | number | boolean>;

export function makeEvent(type: string, attributes: EventAttributes): ChainEvent {
  return { type, attributes: Object.entries(attributes).map(([k, v]) => [k, String(v)]) };
}
