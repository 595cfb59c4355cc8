package fincloud.loadtest;

import io.gatling.javaapi.core.Simulation;

/**
 * Transfers at a constant arrival rate between random accounts of one node, a share of them
 * debiting one hot account, plus balance reads. Tunables: -DbaseUrl -Drate -DreadRate -Dduration
 * -DrampSeconds -Daccounts -DhotShare -Dp99Ms -DmaxErrorPercent (see {@link LoadSettings}).
 */
public class TransfersSimulation extends Simulation {
  private final LoadSettings settings = LoadSettings.single();
  private final Bank bank = new Bank(settings.baseUrls().get(0), settings);

  {
    setUp(new TransferLoad(settings, bank, "").populations(settings.baseUrls().get(0), 1.0))
        .assertions(TransferLoad.assertions(settings));
  }

  @Override
  public void before() {
    bank.open();
  }

  @Override
  public void after() {
    System.out.println("loadtest: trial balance after the run: " + bank.checkTrialBalance());
  }
}
