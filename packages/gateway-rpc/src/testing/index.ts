export { simulator, startGatewaySimulator } from "./GatewaySimulator.js"
export type {
  GatewayProfile,
  GatewaySimulator,
  SimulatedAgent,
  SimulatedFault,
  SimulatorBehaviour,
  SimulatorCall,
  SimulatorConnect
} from "./GatewaySimulator.js"
