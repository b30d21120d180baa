/**
 * The modules textpoke ships (fixtures/modules, embedded): what
 * `textpoke boot --module NAME` loads, as modprobe would find NAME.ko in
 * /lib/modules.
 */
import { decodeBase64 } from "../../image/base64.ts";
import { MODULE_OBJECTS } from "./module-objects.ts";

/** Names of the built-in modules. */
export function builtinModuleNames(): string[] {
  return Object.keys(MODULE_OBJECTS).sort();
}

/** The object of built-in module `name`, or undefined. */
export function builtinModule(name: string): Uint8Array | undefined {
  const b64 = MODULE_OBJECTS[name];
  return b64 === undefined ? undefined : decodeBase64(b64);
}
