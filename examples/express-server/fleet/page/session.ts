// The signed-in user's bearer token. It is kept for this tab only (sessionStorage), and a token handed in the URL's
// fragment (`/#token=…`, which browsers never send to the server) is taken out of the address bar at once, so it
// stays out of the history and of screenshots.

const storageKey = "mission-control.fleet.token"

/** The token handed in the fragment, removed from the address bar; undefined when there is none. */
export const takeTokenFromFragment = (): string | undefined => {
  const token = new URLSearchParams(location.hash.slice(1)).get("token")
  if (token === null) return undefined
  history.replaceState(null, "", `${location.pathname}${location.search}`)
  return token.trim() === "" ? undefined : token.trim()
}

export const storedToken = (): string | undefined => sessionStorage.getItem(storageKey) ?? undefined

export const storeToken = (token: string): void => sessionStorage.setItem(storageKey, token)

export const forgetToken = (): void => sessionStorage.removeItem(storageKey)
