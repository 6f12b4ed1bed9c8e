"""service pages."""

from django.urls import path

from . import return_visit_views, suitability_views, views

app_name = "service"
urlpatterns = [
    path("my-day/", views.MyDayView.as_view(), name="my_day"),
    path("lookup/", views.LookupView.as_view(), name="lookup"),
    path("tickets/", views.TicketListView.as_view(), name="tickets"),
    path("tickets/new/", views.TicketCreateView.as_view(), name="ticket_new"),
    path("tickets/deadlines/", views.DeadlinePolicyView.as_view(), name="deadlines"),
    path("tickets/<int:pk>/", views.TicketDetailView.as_view(), name="ticket_detail"),
    path("tasks/", views.TaskListView.as_view(), name="tasks"),
    path("tasks/<int:pk>/complete/", views.TaskCompleteView.as_view(), name="task_complete"),
    path("prospects/", views.ProspectListView.as_view(), name="prospects"),
    path("prospects/new/", views.ProspectCreateView.as_view(), name="prospect_new"),
    path("prospects/<int:pk>/", views.ProspectDetailView.as_view(), name="prospect_detail"),
    path("activities/", views.ActivityListView.as_view(), name="activities"),
    path("activities/results/", views.ActivityResultsView.as_view(), name="campaign_results"),
    path("activities/recipients/", views.ActivityRecipientListView.as_view(), name="campaign_recipients"),
    path("activities/new/", views.ActivityCreateView.as_view(), name="activity_new"),
    path("activities/<int:pk>/", views.ActivityDetailView.as_view(), name="activity_detail"),
    path("surveys/", views.SurveyListView.as_view(), name="surveys"),
    path("care/", views.CareView.as_view(), name="care"),
    path("suitability/", suitability_views.SuitabilityWorklistView.as_view(), name="suitability_worklist"),
    path("return-visits/", return_visit_views.ReturnVisitListView.as_view(), name="return_visits"),
    path("return-visits/report/", return_visit_views.ReturnVisitReportView.as_view(), name="return_visit_report"),
    path("return-visits/<int:pk>/record/", return_visit_views.ReturnVisitRecordView.as_view(),
         name="return_visit_record"),
    path("clients/<int:client_pk>/survey/", views.SurveyCreateView.as_view(), name="survey_new"),
    path("clients/<int:client_pk>/task/", views.TaskCreateView.as_view(), name="task_new"),
    path("clients/<int:client_pk>/message/", views.MessageSendView.as_view(), name="message_new"),
]
