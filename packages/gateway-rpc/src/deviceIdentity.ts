import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign } from "node:crypto"
import type { KeyObject } from "node:crypto"
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { dirname } from "node:path"

/** An Ed25519 device identity; older gateways grant scopes only to signed devices. */
export interface DeviceIdentity {
  readonly deviceId: string
  readonly publicKeyRaw: Buffer
  readonly privateKey: KeyObject
}

const base64Url = (bytes: Buffer): string => bytes.toString("base64url")

const fromKeys = (privateKey: KeyObject): DeviceIdentity => {
  const publicKey = createPublicKey(privateKey)
  const der = publicKey.export({ format: "der", type: "spki" })
  const publicKeyRaw = der.subarray(der.length - 32)
  return { deviceId: createHash("sha256").update(publicKeyRaw).digest("hex"), publicKeyRaw, privateKey }
}

/** A new identity, kept in memory. */
export const generateDeviceIdentity = (): DeviceIdentity => fromKeys(generateKeyPairSync("ed25519").privateKey)

/**
 * The identity stored at `path` (`{version: 1, deviceId, publicKeyPem, privateKeyPem, createdAtMs}`, mode 0600),
 * created there when missing or unreadable, so a paired device stays paired across restarts.
 */
export const loadOrCreateDeviceIdentity = (path: string): DeviceIdentity => {
  try {
    const stored = JSON.parse(readFileSync(path, "utf8")) as { readonly privateKeyPem?: unknown }
    if (typeof stored.privateKeyPem === "string") return fromKeys(createPrivateKey(stored.privateKeyPem))
  } catch {
    // missing or unreadable: make a new one
  }
  const identity = generateDeviceIdentity()
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(
    path,
    JSON.stringify({
      version: 1,
      deviceId: identity.deviceId,
      publicKeyPem: createPublicKey(identity.privateKey).export({ format: "pem", type: "spki" }),
      privateKeyPem: identity.privateKey.export({ format: "pem", type: "pkcs8" }),
      createdAtMs: Date.now()
    }),
    { mode: 0o600 }
  )
  return identity
}

/** The fields of a connect request the device signature covers. */
export interface SignedConnect {
  readonly clientId: string
  readonly clientMode: string
  readonly role: string
  readonly scopes: ReadonlyArray<string>
  readonly token: string
  readonly nonce: string
  readonly platform: string
  readonly deviceFamily: string
  readonly signedAt: number
}

/** The v3 signature payload: `v3|device|client|mode|role|scopes|signedAt|token|nonce|platform|family`. */
export const signaturePayload = (deviceId: string, connect: SignedConnect): string =>
  [
    "v3",
    deviceId,
    connect.clientId,
    connect.clientMode,
    connect.role,
    connect.scopes.join(","),
    String(connect.signedAt),
    connect.token,
    connect.nonce,
    connect.platform.trim().toLowerCase(),
    connect.deviceFamily.trim().toLowerCase()
  ].join("|")

/** The `device` block of a connect request. */
export const signConnect = (identity: DeviceIdentity, connect: SignedConnect) => ({
  id: identity.deviceId,
  publicKey: base64Url(identity.publicKeyRaw),
  signature: base64Url(
    sign(null, Buffer.from(signaturePayload(identity.deviceId, connect), "utf8"), identity.privateKey)
  ),
  signedAt: connect.signedAt,
  nonce: connect.nonce
})
